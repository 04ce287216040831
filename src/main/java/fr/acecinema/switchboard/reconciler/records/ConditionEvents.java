package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns condition changes seen in the store into events (Normal when a condition becomes True,
 * Warning when it becomes False), through the journal, so they survive a database outage; except
 * the {@code Ready} and {@code Healthy} conditions of Backends and Sites, whose transitions are
 * told once each by {@code notify.Transitions} ({@code BackendDown}, {@code
 * SiteMaintenanceStarted}…). A store listener, not a reconciler: an event is about a change, which
 * a level-triggered reconcile does not see.
 */
public final class ConditionEvents implements ResourceStore.Listener {
  private static final Logger log = LoggerFactory.getLogger(ConditionEvents.class);

  private final EventRecorder events;

  public ConditionEvents(EventRecorder events) {
    this.events = events;
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    try {
      record(key, previous, current);
    } catch (RuntimeException e) {
      // Events are a by-product; a surprise here must never disturb the store's writer.
      log.warn("could not derive events for {}: {}", key, e.toString());
    }
  }

  private void record(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (current == null) {
      if (previous != null) {
        events.event(key, EventType.NORMAL, "Deleted", key + " is no longer declared");
      }
      return;
    }
    List<Condition> before = conditions(previous);
    for (Condition now : conditions(current)) {
      if (toldByTransitions(key, now.type)) {
        continue;
      }
      Condition was =
          before.stream().filter(c -> Objects.equals(c.type, now.type)).findFirst().orElse(null);
      boolean changed =
          was == null
              ? previous != null && !before.isEmpty()
              : !Objects.equals(was.status, now.status) || !Objects.equals(was.reason, now.reason);
      if (!changed || now.status == null) {
        continue;
      }
      EventType type = Condition.FALSE.equals(now.status) ? EventType.WARNING : EventType.NORMAL;
      events.event(
          key,
          type,
          now.reason == null ? now.type : now.reason,
          now.type + "=" + now.status + (now.message == null ? "" : ": " + now.message));
    }
  }

  /** Conditions whose changes are events of {@code notify.Transitions}, one per transition. */
  private static boolean toldByTransitions(ResourceKey key, String type) {
    return switch (key.kind()) {
      case "Backend" -> ConditionTypes.READY.equals(type) || ConditionTypes.HEALTHY.equals(type);
      case "Site" -> ConditionTypes.READY.equals(type);
      default -> false;
    };
  }

  private static List<Condition> conditions(HasMetadata r) {
    if (r instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof ResourceStatus s) {
      return s.conditions == null ? List.of() : s.conditions;
    }
    return List.of();
  }
}
