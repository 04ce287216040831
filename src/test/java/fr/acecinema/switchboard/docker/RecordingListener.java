package fr.acecinema.switchboard.docker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Keeps what a subscription delivered, for tests to await; counts ends to catch a double call. */
final class RecordingListener implements ContainerEventListener {
  private final List<ContainerEvent> events = new CopyOnWriteArrayList<>();
  private final AtomicReference<End> end = new AtomicReference<>();
  private final AtomicInteger ends = new AtomicInteger();

  @Override
  public void onEvent(ContainerEvent event) {
    events.add(event);
  }

  @Override
  public void onEnd(End e) {
    ends.incrementAndGet();
    end.set(e);
  }

  List<ContainerEvent> events() {
    return List.copyOf(events);
  }

  /** The first event of {@code action} for the container named {@code name}. */
  Optional<ContainerEvent> first(ContainerEvent.Action action, String name) {
    return events.stream().filter(e -> e.action() == action && e.name().equals(name)).findFirst();
  }

  Optional<End> end() {
    return Optional.ofNullable(end.get());
  }

  int ends() {
    return ends.get();
  }
}
