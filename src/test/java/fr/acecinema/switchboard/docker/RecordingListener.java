package fr.acecinema.switchboard.docker;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps what a subscription delivered with when it arrived, for tests to await and time; counts
 * ends to catch a double call.
 */
final class RecordingListener implements ContainerEventListener {
  /** An event and the {@link System#nanoTime()} it reached the listener at. */
  record Received(ContainerEvent event, long nanos, Instant at) {}

  private final List<Received> events = new CopyOnWriteArrayList<>();
  private final AtomicReference<End> end = new AtomicReference<>();
  private final AtomicInteger ends = new AtomicInteger();

  @Override
  public void onEvent(ContainerEvent event) {
    events.add(new Received(event, System.nanoTime(), Instant.now()));
  }

  @Override
  public void onEnd(End e) {
    ends.incrementAndGet();
    end.set(e);
  }

  List<ContainerEvent> events() {
    return events.stream().map(Received::event).toList();
  }

  /** The first event of {@code action} for the container named {@code name}. */
  Optional<Received> first(ContainerEvent.Action action, String name) {
    return events.stream()
        .filter(r -> r.event().action() == action && r.event().name().equals(name))
        .findFirst();
  }

  /** The first health event of the container named {@code name} reporting {@code status}. */
  Optional<Received> firstHealth(String name, HealthStatus status) {
    return events.stream()
        .filter(r -> r.event().name().equals(name) && r.event().health() == status)
        .findFirst();
  }

  Optional<End> end() {
    return Optional.ofNullable(end.get());
  }

  int ends() {
    return ends.get();
  }
}
