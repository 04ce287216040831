package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.CADDY_REJECTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.CADDY_UNREACHABLE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.INVALID_SPEC;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.IN_SYNC;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_READY_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PUSHED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ROUTING_PENDING;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the router last achieved, in memory: the outcome of its last attempt, the revision Caddy
 * runs, and per service which upstreams it routes to. The {@link RouterReconciler} writes it; the
 * {@link ServiceReconciler} reads it to set {@code Routed} without any I/O of its own. Listeners
 * hear which services' view changed, so only those are re-reconciled.
 */
public final class RoutingState {
  /** Result of the router's last attempt. */
  public enum Outcome {
    /** Caddy runs the desired config; the last change was written by this process. */
    PUSHED,
    /** Caddy already ran the desired config. */
    IN_SYNC,
    /** Caddy's admin API did not answer (or answered something unexpected). */
    UNREACHABLE,
    /** Caddy refused the desired config; its previous config keeps serving. */
    REJECTED
  }

  /**
   * One service as routed.
   *
   * @param revision 12 hex digits identifying this service's routes in the config
   * @param pushed true when this process wrote this revision into Caddy, false when Caddy already
   *     ran it
   * @param upstreams dial addresses of the tier taking traffic, empty when the service answers 503
   * @param fallback dial addresses of the next tier, waiting in Caddy's error route
   * @param invalid why the service cannot be routed, null when it can
   */
  public record ServiceRoute(
      String revision,
      boolean pushed,
      List<String> upstreams,
      List<String> fallback,
      String invalid) {
    public ServiceRoute {
      upstreams = List.copyOf(upstreams);
      fallback = List.copyOf(fallback);
    }
  }

  /**
   * The state after one attempt.
   *
   * @param outcome what happened
   * @param revision revision of the whole Switchboard server Caddy runs, null when unknown
   * @param error Caddy's message on UNREACHABLE / REJECTED, else null
   * @param services per service name, the routes of the desired config
   */
  public record Snapshot(
      Outcome outcome, String revision, String error, Map<String, ServiceRoute> services) {
    public Snapshot {
      services = Map.copyOf(services);
    }
  }

  /** The {@code Routed} condition a service should carry, and its routed revision (may be null). */
  public record Routed(Condition condition, String revision) {}

  private volatile Snapshot current;
  private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

  /** The last snapshot, null before the router's first attempt. */
  public Snapshot current() {
    return current;
  }

  /** Hears the names of the services whose view changed. */
  public void addListener(Consumer<Set<String>> listener) {
    listeners.add(listener);
  }

  /** Replaces the state and tells listeners which services' view changed. */
  public void update(Snapshot next) {
    Snapshot previous = current;
    current = next;
    Set<String> changed = new HashSet<>();
    boolean global =
        previous == null
            || previous.outcome() != next.outcome()
            || !Objects.equals(previous.error(), next.error());
    Set<String> names = new HashSet<>(next.services().keySet());
    if (previous != null) {
      names.addAll(previous.services().keySet());
    }
    for (String name : names) {
      if (global || !Objects.equals(previous.services().get(name), next.services().get(name))) {
        changed.add(name);
      }
    }
    if (!changed.isEmpty()) {
      listeners.forEach(l -> l.accept(Set.copyOf(changed)));
    }
  }

  /** The {@code Routed} condition of {@code service} under the current state. */
  public Routed routed(String service) {
    return routed(current, service);
  }

  /** The {@code Routed} condition of {@code service} under {@code s} (pure). */
  static Routed routed(Snapshot s, String service) {
    ServiceRoute route = s == null ? null : s.services().get(service);
    if (s == null || (route == null && s.outcome() != Outcome.UNREACHABLE)) {
      return new Routed(
          new Condition(
              "Routed",
              Condition.UNKNOWN,
              ROUTING_PENDING,
              "the router has not planned this service yet"),
          null);
    }
    String previous = route == null ? null : route.revision();
    if (s.outcome() == Outcome.UNREACHABLE) {
      return new Routed(
          new Condition("Routed", Condition.FALSE, CADDY_UNREACHABLE, s.error()), null);
    }
    if (route.invalid() != null) {
      return new Routed(
          new Condition(
              "Routed", Condition.FALSE, INVALID_SPEC, "cannot be routed: " + route.invalid()),
          null);
    }
    if (s.outcome() == Outcome.REJECTED) {
      return new Routed(
          new Condition(
              "Routed",
              Condition.FALSE,
              CADDY_REJECTED,
              "Caddy refused the config (its previous config keeps serving): " + s.error()),
          null);
    }
    if (route.upstreams().isEmpty()) {
      return new Routed(
          new Condition(
              "Routed",
              Condition.FALSE,
              NO_READY_BACKENDS,
              "no backend can take traffic; Caddy answers 503 (revision " + previous + ")"),
          previous);
    }
    String message =
        "revision "
            + previous
            + ": "
            + String.join(", ", route.upstreams())
            + (route.fallback().isEmpty()
                ? ""
                : "; fallback " + String.join(", ", route.fallback()));
    return new Routed(
        new Condition("Routed", Condition.TRUE, route.pushed() ? PUSHED : IN_SYNC, message),
        previous);
  }
}
