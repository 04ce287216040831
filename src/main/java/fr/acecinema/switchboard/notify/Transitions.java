package fr.acecinema.switchboard.notify;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what the store hears about Backends and Sites into the transitions people are told about:
 * one webhook and one event (same type as reason) per real transition, never one per condition.
 *
 * <p>A backend or site is judged from its {@code Ready} condition alone (its {@code Healthy}
 * condition moves with it in the same status write, and would only double the news):
 *
 * <ul>
 *   <li>{@code BackendDown} / {@code SiteDown}: it was serving (True) and now is not for a reason
 *       of its own (probe failed, host unreachable, port closed, no healthy backend, tunnel down);
 *       {@code BackendUp} / {@code SiteUp}: it serves again after being down. A state first seen
 *       (start-up, or the status a previous process wrote) pages nobody; one going through a
 *       pending state ({@code ProbePending}, a rejection, {@code NoBackends}) is compared with the
 *       last state known before it.
 *   <li>{@code BackendDrained} / {@code BackendUndrained}: its {@code Ready} reason became, or
 *       stopped being, {@code Draining}.
 *   <li>{@code SiteMaintenanceStarted} / {@code SiteMaintenanceEnded}: the site's {@code Ready}
 *       reason became, or stopped being, {@code SiteMaintenance}. The backends it takes out say
 *       nothing (their health is not paged while their site is in maintenance); one still down when
 *       the maintenance ends gets its {@code BackendDown} then.
 * </ul>
 *
 * <p>Cause before effect: the store calls its listeners in the order of its changes, and this
 * listener is registered before the runtime's, so a backend's transition is published before the
 * reconcile of its site (which reads the backend's new status) can even start.
 */
public final class Transitions implements ResourceStore.Listener {
  /** What a backend or site is doing, as far as anyone should be told. */
  enum State {
    UP,
    DOWN,
    DRAINED,
    MAINTENANCE,
    PENDING
  }

  /**
   * @param ready the last Ready condition seen
   * @param sawUp whether this process ever saw it serve
   */
  private record Known(State state, State health, Condition ready, boolean sawUp) {}

  /** A health transition this process told, and when. */
  private record Told(String type, java.time.Instant at) {}

  private final Notifier notifier;
  private final EventRecorder events;
  private final Clock clock;
  private final java.util.function.BooleanSupplier telling;
  private final Map<ResourceKey, Known> known = new HashMap<>();
  // The last health transition told by this process while it was telling: the records may not
  // have it yet (the journal writes behind), and a catch-up must not tell it twice.
  private final Map<ResourceKey, Told> told = new HashMap<>();

  /**
   * @param notifier where webhooks go
   * @param events where the events journal goes
   */
  public Transitions(Notifier notifier, EventRecorder events, Clock clock) {
    this(notifier, events, clock, () -> true);
  }

  /**
   * @param telling whether what is published reaches anyone now (hubs sharing a database: only
   *     while this hub leads)
   */
  public Transitions(
      Notifier notifier,
      EventRecorder events,
      Clock clock,
      java.util.function.BooleanSupplier telling) {
    this.notifier = notifier;
    this.events = events;
    this.clock = clock;
    this.telling = telling;
  }

  @Override
  public synchronized void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    boolean backend = "Backend".equals(key.kind());
    if (!backend && !"Site".equals(key.kind())) {
      return;
    }
    if (current == null) {
      known.remove(key);
      told.remove(key);
      return;
    }
    Condition ready = ready(current);
    Condition was = previous == null ? null : ready(previous);
    State now = state(ready);
    Known before = known.get(key);
    State health = now == State.UP || now == State.DOWN ? now : null;
    if (before == null) {
      // First sight (start-up reads the status the previous process wrote): nothing happened.
      known.put(key, new Known(now, health, ready, now == State.UP));
      return;
    }
    known.put(
        key,
        new Known(now, health(now, before.health()), ready, before.sawUp() || now == State.UP));
    if (now == before.state()) {
      return;
    }
    String kind = key.kind();
    if (before.state() == State.DRAINED) {
      publish(key, was, ready, "BackendUndrained", EventType.NORMAL);
    } else if (before.state() == State.MAINTENANCE && !backend) {
      publish(key, was, ready, "SiteMaintenanceEnded", EventType.NORMAL);
    }
    switch (now) {
      case DRAINED -> publish(key, was, ready, "BackendDrained", EventType.NORMAL);
      case MAINTENANCE -> {
        // A backend taken out by its site's maintenance: the site's event says it.
        if (!backend) {
          publish(key, was, ready, "SiteMaintenanceStarted", EventType.NORMAL);
        }
      }
      case DOWN -> {
        if (before.health() == State.UP) {
          publish(key, was, ready, kind + "Down", EventType.WARNING);
        }
      }
      case UP -> {
        if (before.health() == State.DOWN) {
          publish(key, was, ready, kind + "Up", EventType.NORMAL);
        }
      }
      case PENDING -> {}
    }
  }

  /**
   * Tells, when this hub starts leading (hubs sharing a database), the Down or Up of every backend
   * and site whose health differs from what was last told: a change that happened after the
   * previous leader died and before this hub led was told by nobody. The last thing told of an
   * object is its last health event in the records ({@code recorded}, e.g. {@code BackendDown}), or
   * the last this process told, when newer (the journal writes behind); an object never told
   * anything counts as told up when this hub saw it serve. Drained objects and sites in maintenance
   * are left to their own events. An event the previous leader sent but had not recorded yet when
   * it died is told again (at least once, never lost).
   *
   * @param recorded the object's last Down or Up event in the records; empty when it has none
   * @return how many transitions were told late
   */
  public synchronized int catchUp(
      java.util.function.Function<ResourceKey, Optional<EventRecord>> recorded) {
    int late = 0;
    for (Map.Entry<ResourceKey, Known> e : Map.copyOf(known).entrySet()) {
      ResourceKey key = e.getKey();
      Known k = e.getValue();
      if ((k.state() != State.UP && k.state() != State.DOWN) || k.ready() == null) {
        continue;
      }
      Optional<Told> here = Optional.ofNullable(told.get(key));
      Optional<String> last =
          recorded
              .apply(key)
              .filter(r -> here.isEmpty() || r.lastSeen().isAfter(here.get().at()))
              .map(EventRecord::reason)
              .or(() -> here.map(Told::type));
      boolean toldDown = last.map(r -> r.endsWith("Down")).orElse(!k.sawUp());
      if (k.state() == State.DOWN && !toldDown) {
        publish(key, null, toldLate(k.ready()), key.kind() + "Down", EventType.WARNING);
        late++;
      } else if (k.state() == State.UP && toldDown && last.isPresent()) {
        publish(key, null, toldLate(k.ready()), key.kind() + "Up", EventType.NORMAL);
        late++;
      }
    }
    return late;
  }

  /** {@code ready}, its message saying why it is told now. */
  private static Condition toldLate(Condition ready) {
    Condition c = new Condition();
    c.type = ready.type;
    c.status = ready.status;
    c.reason = ready.reason;
    c.lastTransitionTime = ready.lastTransitionTime;
    c.message =
        (ready.message == null || ready.message.isEmpty() ? "" : ready.message + " ")
            + "(told by the hub that took the lead: it changed while no hub led)";
    return c;
  }

  private void publish(
      ResourceKey key, Condition was, Condition ready, String type, EventType eventType) {
    if ((type.endsWith("Down") || type.endsWith("Up")) && telling.getAsBoolean()) {
      told.put(key, new Told(type, clock.instant()));
    }
    notifier.publish(
        WebhookEvent.of(
            type,
            key.kind(),
            key.name(),
            ConditionTypes.READY,
            ready.status,
            was == null ? null : was.status,
            ready.reason,
            ready.message,
            clock.instant()));
    events.event(
        key,
        eventType,
        type,
        ConditionTypes.READY
            + "="
            + ready.status
            + " ("
            + ready.reason
            + ")"
            + (ready.message == null || ready.message.isEmpty() ? "" : ": " + ready.message));
  }

  /**
   * The health to remember: UP when serving; DOWN only when a Down was told (or the status read at
   * start-up said so), so a backend whose first probes fail and then pass never sends an Up nobody
   * was told the Down of; otherwise what was known before (drained, maintenance, pending).
   */
  private static State health(State now, State before) {
    return switch (now) {
      case UP -> State.UP;
      case DOWN -> before == State.UP || before == State.DOWN ? State.DOWN : null;
      default -> before;
    };
  }

  /** The state a Ready condition says; missing or Unknown is pending. */
  static State state(Condition ready) {
    if (ready == null || ready.status == null) {
      return State.PENDING;
    }
    if (Condition.TRUE.equals(ready.status)) {
      return State.UP;
    }
    if (!Condition.FALSE.equals(ready.status) || ready.reason == null) {
      return State.PENDING;
    }
    return switch (ready.reason) {
      case ConditionTypes.DRAINING -> State.DRAINED;
      case ConditionTypes.SITE_MAINTENANCE -> State.MAINTENANCE;
      // A health of its own: the backend's probe, heartbeat, or the site's backends and tunnel.
      case ConditionTypes.PROBE_FAILED,
          ConditionTypes.HOST_UNREACHABLE,
          ConditionTypes.PORT_CLOSED,
          ConditionTypes.NO_HEALTHY_BACKENDS,
          ConditionTypes.UNREACHABLE,
          ConditionTypes.TUNNEL_DOWN ->
          State.DOWN;
      // Not probed yet, rejected, or a site without backends: nothing to judge.
      default -> State.PENDING;
    };
  }

  private static Condition ready(HasMetadata r) {
    if (r instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof ResourceStatus s) {
      return s.condition(ConditionTypes.READY).orElse(null);
    }
    return null;
  }
}
