package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.docker.ContainerEvent;
import fr.acecinema.switchboard.docker.ContainerEventListener;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.DockerEngine;
import fr.acecinema.switchboard.docker.DockerEngineException;
import fr.acecinema.switchboard.docker.EngineInfo;
import fr.acecinema.switchboard.docker.HealthStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker engine in memory: containers a test sets, and an event stream it drives. Its list can be
 * held at a gate, so a test can send events while a sync is in the middle of listing.
 */
final class FakeDockerEngine implements DockerEngine {
  private final Map<String, DockerContainer> containers = new LinkedHashMap<>();
  final AtomicInteger lists = new AtomicInteger();
  final AtomicInteger subscriptions = new AtomicInteger();
  volatile boolean down;
  private volatile ContainerEventListener listener;
  private volatile Semaphore gate;
  private volatile CountDownLatch listing;

  static DockerContainer container(
      String name, DockerContainer.State state, HealthStatus health, Map<String, String> labels) {
    return new DockerContainer(
        "id-" + name,
        name,
        labels,
        state,
        health,
        Optional.of(Instant.parse("2025-01-01T00:00:00Z")));
  }

  synchronized void put(DockerContainer c) {
    containers.put(c.id(), c);
  }

  synchronized void remove(String id) {
    containers.remove(id);
  }

  /** Sends one event to the open subscription. */
  void emit(ContainerEvent.Action action, String id, Map<String, String> attributes) {
    ContainerEventListener l = listener;
    if (l == null) {
      throw new IllegalStateException("nobody is subscribed");
    }
    l.onEvent(new ContainerEvent(action, id, "", HealthStatus.NONE, Instant.now(), attributes));
  }

  /** Ends the open subscription as a dying engine does. */
  void breakStream() {
    ContainerEventListener l = listener;
    listener = null;
    l.onEnd(
        new ContainerEventListener.End(
            ContainerEventListener.End.Reason.FAILED, new java.io.IOException("connection reset")));
  }

  /** The next lists wait until {@link #open()}; returns a latch counted down when one waits. */
  CountDownLatch hold() {
    listing = new CountDownLatch(1);
    gate = new Semaphore(0);
    return listing;
  }

  void open() {
    Semaphore g = gate;
    gate = null;
    g.release(Integer.MAX_VALUE / 2);
  }

  boolean subscribed() {
    return listener != null;
  }

  @Override
  public EngineInfo info() throws DockerEngineException {
    failIfDown();
    return new EngineInfo("24.0.7", "1.43", "dijon-docker");
  }

  @Override
  public List<DockerContainer> containers() throws DockerEngineException {
    failIfDown();
    Semaphore g = gate;
    if (g != null) {
      listing.countDown();
      g.acquireUninterruptibly();
    }
    lists.incrementAndGet();
    synchronized (this) {
      return new ArrayList<>(containers.values());
    }
  }

  @Override
  public Subscription events(ContainerEventListener l) throws DockerEngineException {
    failIfDown();
    subscriptions.incrementAndGet();
    listener = l;
    return () -> {
      if (listener == l) {
        listener = null;
      }
    };
  }

  private void failIfDown() throws DockerEngineException {
    if (down) {
      throw new DockerEngineException("cannot reach the Docker engine at /fake.sock");
    }
  }

  @Override
  public void close() {}
}
