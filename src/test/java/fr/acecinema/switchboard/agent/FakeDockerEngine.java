package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.docker.ContainerEvent;
import fr.acecinema.switchboard.docker.ContainerEventListener;
import fr.acecinema.switchboard.docker.ContainerSpec;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.DockerEngine;
import fr.acecinema.switchboard.docker.DockerEngineException;
import fr.acecinema.switchboard.docker.EngineInfo;
import fr.acecinema.switchboard.docker.HealthStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker engine in memory: containers a test sets, and an event stream it drives. Its list can be
 * held at a gate, so a test can send events while a sync is in the middle of listing. It creates,
 * starts, stops and removes containers in memory (their start time is {@link #now}), and records
 * each such call, e.g. {@code "create api-r1-1"}.
 */
final class FakeDockerEngine implements DockerEngine {
  private final Map<String, DockerContainer> containers = new LinkedHashMap<>();
  final AtomicInteger lists = new AtomicInteger();
  final AtomicInteger subscriptions = new AtomicInteger();
  volatile boolean down;

  /** Images the engine has. */
  final Set<String> images = new HashSet<>();

  /** The engine's error for the next start of a container, by name (once each). */
  final java.util.Map<String, String> failNextStart = new java.util.HashMap<>();

  /** "create NAME", "start NAME", "stop NAME 10s", "remove NAME", in order. */
  final List<String> calls = new ArrayList<>();

  /** Specs of the containers created, by name. */
  final Map<String, ContainerSpec> created = new LinkedHashMap<>();

  /** The time a started container gets as its start time. */
  volatile Instant now = Instant.parse("2025-01-01T00:00:00Z");

  /** The exit code a stopped container gets. */
  volatile int stopExitCode = 143;

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

  /** The container with this id disappears (removed behind the agent's back). */
  synchronized void drop(String id) {
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

  @Override
  public synchronized boolean imageExists(String image) throws DockerEngineException {
    failIfDown();
    return images.contains(image);
  }

  @Override
  public synchronized String create(ContainerSpec spec) throws DockerEngineException {
    failIfDown();
    calls.add("create " + spec.name());
    if (!images.contains(spec.image())) {
      throw new DockerEngineException("image " + spec.image() + " is not on the fake engine");
    }
    if (byName(spec.name()).isPresent()) {
      throw new DockerEngineException("the name " + spec.name() + " is taken");
    }
    created.put(spec.name(), spec);
    DockerContainer c =
        new DockerContainer(
            "id-" + spec.name(),
            spec.name(),
            spec.labels(),
            DockerContainer.State.CREATED,
            HealthStatus.NONE,
            Optional.empty());
    containers.put(c.id(), c);
    return c.id();
  }

  @Override
  public synchronized void start(String name) throws DockerEngineException {
    failIfDown();
    calls.add("start " + name);
    String failure = failNextStart.remove(name);
    if (failure != null) {
      throw new DockerEngineException(failure);
    }
    DockerContainer c = existing(name);
    replace(c, DockerContainer.State.RUNNING, Optional.of(now), c.exitCode());
  }

  @Override
  public synchronized void stop(String name, Duration timeout) throws DockerEngineException {
    failIfDown();
    calls.add("stop " + name + " " + timeout.toSeconds() + "s");
    DockerContainer c = existing(name);
    if (c.state() == DockerContainer.State.RUNNING) {
      exit(name, stopExitCode);
    }
  }

  @Override
  public synchronized void remove(String name) throws DockerEngineException {
    failIfDown();
    calls.add("remove " + name);
    byName(name).ifPresent(c -> containers.remove(c.id()));
  }

  /** The container named {@code name} exits with {@code code} (a crash, or a stop). */
  synchronized void exit(String name, int code) {
    DockerContainer c = byName(name).orElseThrow();
    replace(c, DockerContainer.State.EXITED, c.startedAt(), code);
  }

  private void replace(
      DockerContainer c, DockerContainer.State state, Optional<Instant> startedAt, int code) {
    containers.put(
        c.id(),
        new DockerContainer(c.id(), c.name(), c.labels(), state, c.health(), startedAt, code));
  }

  synchronized Optional<DockerContainer> byName(String name) {
    return containers.values().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  private DockerContainer existing(String name) throws DockerEngineException {
    return byName(name)
        .orElseThrow(() -> new DockerEngineException("no container " + name + " on the fake"));
  }

  private void failIfDown() throws DockerEngineException {
    if (down) {
      throw new DockerEngineException("cannot reach the Docker engine at /fake.sock");
    }
  }

  @Override
  public void close() {}
}
