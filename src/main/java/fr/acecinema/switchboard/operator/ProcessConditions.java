package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.reconciler.RoutingState;

/**
 * The process-level conditions {@code /readyz} lists, as pure functions of the state they describe.
 * {@code RecordsSynced} is not here: {@code RecordsHealth} keeps it, with its own transition time.
 */
public final class ProcessConditions {
  /** Ready: the first scan of the manifests is done. */
  public static final String INITIAL_SCAN_DONE = "InitialScanDone";

  /** Not ready: the first scan of the manifests is under way. */
  public static final String INITIAL_SCAN_PENDING = "InitialScanPending";

  /** Not ready: a stop was requested; in-flight work finishes. */
  public static final String STOPPING = "Stopping";

  /** Not ready: the readiness check threw. */
  public static final String CHECK_FAILED = "ReadinessCheckFailed";

  private ProcessConditions() {}

  /** {@code Ready} of the process. */
  public static Condition ready(boolean ready, boolean stopping) {
    if (stopping) {
      return new Condition(
          ConditionTypes.READY,
          Condition.FALSE,
          STOPPING,
          "stopping: the listener closes after the shutdown grace period (--shutdown-grace),"
              + " then in-flight reconciles and status writes finish");
    }
    return ready
        ? new Condition(
            ConditionTypes.READY,
            Condition.TRUE,
            INITIAL_SCAN_DONE,
            "the manifests are loaded; probing and routing run")
        : new Condition(
            ConditionTypes.READY,
            Condition.FALSE,
            INITIAL_SCAN_PENDING,
            "initial scan not finished");
  }

  /**
   * {@code Leader} of a hub sharing its fleet (leader election on): True {@code Leading} while it
   * holds the lease, False {@code Following} (naming the leader) or {@code NoLeader} otherwise.
   */
  public static Condition leader(Leadership l) {
    if (l.leading()) {
      return new Condition(
          ConditionTypes.LEADER,
          Condition.TRUE,
          "Leading",
          l.hub()
              + " leads the fleet: it writes statuses, records and webhooks and decides"
              + " Deployments");
    }
    String leader = l.leader();
    return leader == null || leader.equals(l.hub())
        ? new Condition(
            ConditionTypes.LEADER,
            Condition.FALSE,
            "NoLeader",
            "no hub is known to lead (the database cannot be reached, or the lease is being taken"
                + " over); "
                + l.hub()
                + " probes and routes on its own meanwhile")
        : new Condition(
            ConditionTypes.LEADER,
            Condition.FALSE,
            "Following",
            leader + " leads the fleet; " + l.hub() + " probes and routes its own Caddy");
  }

  /**
   * {@code Routed} of the process: the outcome of the Caddy router's last attempt (null before the
   * first). Services carry their own {@code Routed}; this one says whether Caddy as a whole runs
   * what Switchboard wants.
   */
  public static Condition routed(RoutingState.Snapshot s) {
    if (s == null) {
      return new Condition(
          ConditionTypes.ROUTED,
          Condition.UNKNOWN,
          ConditionTypes.ROUTING_PENDING,
          "the router has not talked to Caddy yet");
    }
    String revision = s.revision() == null ? "unknown" : s.revision();
    return switch (s.outcome()) {
      case PUSHED ->
          new Condition(
              ConditionTypes.ROUTED,
              Condition.TRUE,
              ConditionTypes.PUSHED,
              "Caddy runs revision " + revision + ", pushed by this process");
      case IN_SYNC ->
          new Condition(
              ConditionTypes.ROUTED,
              Condition.TRUE,
              ConditionTypes.IN_SYNC,
              "Caddy already runs revision " + revision);
      case UNREACHABLE ->
          new Condition(
              ConditionTypes.ROUTED,
              Condition.FALSE,
              ConditionTypes.CADDY_UNREACHABLE,
              "Caddy's admin API cannot be reached; Caddy keeps the routes it has: " + s.error());
      case REJECTED ->
          new Condition(
              ConditionTypes.ROUTED,
              Condition.FALSE,
              ConditionTypes.CADDY_REJECTED,
              "Caddy refused the config (its previous config keeps serving): " + s.error());
    };
  }
}
