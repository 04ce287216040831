package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ACCEPTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.AVAILABLE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.INVALID_SPEC;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PROGRESSING;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.REPLICA_FAILURE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ROLLED_BACK;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SERVICE_NOT_FOUND;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SITE_NOT_FOUND;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TUNNEL_DOWN;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.UNREACHABLE;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.agent.ReplicaReport;
import fr.acecinema.switchboard.api.BackendNames;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.util.Durations;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a Deployment: decides which replicas each site's agent runs ({@link
 * DeploymentPlanner}) and writes the decision and what it sees into the status.
 *
 * <p>Owns: its status only; {@code status.replicas} is the hub's instruction to the agents, which
 * create, drain and remove the containers and register them as Backends ({@code sbctl agent}).
 * Conditions: {@code Accepted} ({@code Valid}; False {@code ServiceNotFound}, {@code SiteNotFound},
 * {@code InvalidSpec}, not retried until the spec changes), {@code Progressing} (True {@code
 * RollingOut}; False {@code RolloutComplete}, {@code ProgressDeadlineExceeded}, {@code
 * InsufficientCapacity}: every replica with room runs, the others have none), {@code Available}
 * ({@code MinimumReplicasReady}, {@code MinimumReplicasUnavailable}, {@code NoEligibleSites}),
 * {@code RolledBack} (True {@code ProgressDeadlineExceeded} while the spec asks for the revision
 * that failed), {@code Ready} (as Available). Only sites whose agent has reported take replicas.
 * {@code ReplicaFailure} (True with the agent's reason, e.g. {@code ImageNotFound}, {@code
 * PortInUse}, {@code Exited}, for replicas its sites' agents report failing; True {@code
 * InsufficientCapacity} when the sites' {@code maxReplicas} leave no room for some replicas; False
 * {@code ReplicasRunning} once neither holds). A Site's {@code maxReplicas} counts the replicas of
 * every Deployment: Deployments place one at a time against each other's last plan. Nothing is
 * decided before the whole fleet is read (after a start: every second until then). Requeue: every
 * second while a rollout, a retirement or a held primary is under way; every 10 s while replicas
 * have no room (another Deployment freeing some does not enqueue this one); at the next deadline
 * (progress, reschedule, lease) otherwise; and on any change of a Site, of its Service, or of a
 * Backend of its Service.
 */
public final class DeploymentReconciler implements Reconciler<Deployment> {
  private static final Logger log = LoggerFactory.getLogger(DeploymentReconciler.class);

  /** Shortest rescheduleAfter: a primary's lease is half of it and must cover agent heartbeats. */
  static final Duration MIN_RESCHEDULE_AFTER = Duration.ofSeconds(10);

  static final String ROLLING_OUT = "RollingOut";
  static final String ROLLOUT_COMPLETE = "RolloutComplete";
  static final String PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded";
  static final String MINIMUM_REPLICAS_READY = "MinimumReplicasReady";
  static final String MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
  static final String NO_ELIGIBLE_SITES = "NoEligibleSites";
  static final String NOT_ROLLED_BACK = "NotRolledBack";
  static final String INSUFFICIENT_CAPACITY = "InsufficientCapacity";
  static final String REPLICAS_RUNNING = "ReplicasRunning";

  /** Longest list of failing replicas a condition message names. */
  private static final int FAILURES_NAMED = 5;

  private static final Duration WHILE_MOVING = Duration.ofSeconds(1);
  private static final Duration WHILE_SHORT_OF_ROOM = Duration.ofSeconds(10);
  private static final Duration UNHEARD_AGENT_INTERVAL = Duration.ofSeconds(30);

  private final Clock clock;
  private final ResourceStore store;
  private final AgentRegistry agents;
  private final Instant started;
  private final java.util.function.BooleanSupplier leading;
  private final java.util.function.BooleanSupplier fleetKnown;
  // Per site, since when this process has seen it reachable or not (shared by every Deployment).
  private final java.util.concurrent.ConcurrentMap<String, SiteState> siteStates =
      new java.util.concurrent.ConcurrentHashMap<>();
  // Per Deployment, its replicas per site as last planned here; guarded by itself.
  private final Map<String, Map<String, Integer>> placed = new HashMap<>();

  /**
   * @param agents what the sites' agents reported to this hub (when each was last heard); null when
   *     the hub takes no agent reports
   */
  public DeploymentReconciler(Clock clock, ResourceStore store, AgentRegistry agents) {
    this(clock, store, agents, () -> true, () -> true);
  }

  /**
   * @param leading whether this hub decides (hubs sharing a database: only the leader does; the
   *     others leave the status as it is, and the new leader reconciles everything again)
   * @param fleetKnown whether the whole fleet is in the store (the sources read once): a plan on
   *     part of it would unassign replicas of sites not read yet, or start again replicas it would
   *     have adopted
   */
  public DeploymentReconciler(
      Clock clock,
      ResourceStore store,
      AgentRegistry agents,
      java.util.function.BooleanSupplier leading,
      java.util.function.BooleanSupplier fleetKnown) {
    this.clock = clock;
    this.store = store;
    this.agents = agents;
    this.leading = leading;
    this.fleetKnown = fleetKnown;
    this.started = clock.instant();
  }

  /**
   * What it reads: every Site (any change enqueues every Deployment), its Service, and the Backends
   * of its Service (its replicas register as those).
   */
  public Controller<Deployment> controller() {
    return new Controller<>("Deployment", Deployment.class, this)
        .watch("Site", (s, st) -> all(st))
        .watch("Service", (s, st) -> ofService(st, s.getMetadata().getName()))
        .watch("Backend", (b, st) -> ofService(st, ((Backend) b).getSpec().service));
  }

  private static Set<ResourceKey> all(ResourceStore store) {
    return store.list(Deployment.class, "Deployment").stream()
        .map(ResourceKey::of)
        .collect(Collectors.toUnmodifiableSet());
  }

  private static Set<ResourceKey> ofService(ResourceStore store, String service) {
    return store.byIndex(Deployment.class, Indexes.DEPLOYMENTS_BY_SERVICE, service).stream()
        .map(ResourceKey::of)
        .collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public UpdateControl<Deployment> reconcile(Deployment deployment, Context<Deployment> context) {
    if (!leading.getAsBoolean()) {
      return UpdateControl.noUpdate();
    }
    if (!fleetKnown.getAsBoolean()) {
      return UpdateControl.<Deployment>noUpdate().rescheduleAfter(WHILE_MOVING.toMillis());
    }
    DeploymentSpec spec = deployment.getSpec();
    DeploymentStatus previous = deployment.getStatus();
    Instant now = clock.instant();
    List<Site> sites = store.list(Site.class, "Site");
    String problem =
        store.get(Service.class, "Service", spec.service).isEmpty()
            ? SERVICE_NOT_FOUND
                + " spec.service: no Service named '"
                + spec.service
                + "'; declare it or fix the name"
            : reject(spec, sites);
    if (problem != null) {
      DeploymentStatus status = previous == null ? new DeploymentStatus() : previous;
      status.observedGeneration = Conditions.generation(deployment);
      deployment.setStatus(status);
      var conditions = Conditions.on(status, deployment, now);
      String reason = problem.substring(0, problem.indexOf(' '));
      String message = problem.substring(problem.indexOf(' ') + 1);
      conditions.set(ACCEPTED, false, reason, message);
      conditions.set(READY, false, reason, message);
      return UpdateControl.patchStatus(deployment);
    }
    Duration grace = duration(spec.rescheduleAfter, DeploymentSpec.DEFAULT_RESCHEDULE_AFTER);
    var settings =
        new DeploymentPlanner.Settings(
            duration(spec.progressDeadline, DeploymentSpec.DEFAULT_PROGRESS_DEADLINE),
            grace,
            grace.dividedBy(2));
    String name = deployment.getMetadata().getName();
    DeploymentPlanner.Plan plan;
    // Deployments share the sites' room: one places at a time, against what the others placed
    // (their last plans in this process, which their status may not show yet).
    synchronized (placed) {
      Map<String, Integer> taken = takenByOthers(name);
      plan =
          DeploymentPlanner.plan(
              new DeploymentPlanner.Input(
                  name,
                  spec,
                  previous,
                  sites.stream()
                      .filter(DeploymentReconciler::hasAgent)
                      .map(s -> view(s, now, taken))
                      .toList(),
                  r -> replica(r.site, r.name),
                  registered(name, spec.service),
                  now),
              settings);
      placed.put(name, bySite(plan.status().replicas));
    }
    if (!plan.adopted().isEmpty()) {
      // Once per lost status: the one trace of it once the adopted replicas are replaced.
      log.info(
          "Deployment {} has no planned status (declared again, or its status was lost): adopted {}"
              + " running replica(s) as revision 0 ({}); revision {} replaces them as it gets"
              + " ready",
          name,
          plan.adopted().size(),
          plan.adopted().stream()
              .map(r -> r.site + "/" + r.name + (r.isPrimary() ? " (primary)" : ""))
              .collect(Collectors.joining(", ")),
          plan.status().current.revision);
    }
    DeploymentStatus status = plan.status();
    status.observedGeneration = Conditions.generation(deployment);
    deployment.setStatus(status);
    writeConditions(deployment, status, plan, settings, failures(status), now);
    boolean moving = !plan.placedComplete() || !status.retiredPrimaries.isEmpty();
    Optional<Duration> lookAgain = plan.lookAgainIn();
    if (moving || !plan.complete()) {
      // Short of room (another Deployment may free some, and does not enqueue this one): slower.
      Duration every = moving ? WHILE_MOVING : WHILE_SHORT_OF_ROOM;
      lookAgain = Optional.of(lookAgain.filter(d -> d.compareTo(every) < 0).orElse(every));
    }
    UpdateControl<Deployment> control = UpdateControl.patchStatus(deployment);
    return lookAgain.map(d -> control.rescheduleAfter(d.toMillis())).orElse(control);
  }

  private void writeConditions(
      Deployment deployment,
      DeploymentStatus status,
      DeploymentPlanner.Plan plan,
      DeploymentPlanner.Settings settings,
      List<Failure> failures,
      Instant now) {
    var conditions = Conditions.on(status, deployment, now);
    conditions.accepted();
    DeploymentSpec spec = deployment.getSpec();
    String revision = "revision " + status.current.revision + " (" + status.current.image + ")";
    String perSite =
        status.sites.stream()
            .map(s -> s.site + " " + s.ready + "/" + s.desired)
            .collect(Collectors.joining(", "));
    int desired = plan.desired().values().stream().mapToInt(Integer::intValue).sum();
    int asked = spec.replicasOrDefault();
    int unplaced = plan.eligible().isEmpty() ? 0 : asked - desired;
    String failing =
        failures.isEmpty()
            ? ""
            : "; failing: "
                + failures.stream()
                    .limit(FAILURES_NAMED)
                    .map(f -> f.replica() + " on " + f.site() + " (" + f.reason() + ")")
                    .collect(Collectors.joining(", "))
                + (failures.size() > FAILURES_NAMED
                    ? " and " + (failures.size() - FAILURES_NAMED) + " more"
                    : "");
    writeReplicaFailure(conditions, status, failures, unplaced, asked, plan);
    boolean failedAsked =
        status.failedTemplate != null
            && status.failedTemplate.equals(DeploymentPlanner.template(spec, 0).hash);
    if (failedAsked) {
      String failed = status.previous == null ? spec.image : status.previous.image;
      conditions.set(
          ROLLED_BACK,
          true,
          PROGRESS_DEADLINE_EXCEEDED,
          failed
              + " was not ready within "
              + Durations.format(settings.progressDeadline())
              + "; back to "
              + revision
              + ". Change the spec to try again.");
    } else if (status.condition(ROLLED_BACK).isPresent()) {
      conditions.set(ROLLED_BACK, false, NOT_ROLLED_BACK, revision + " is the spec's");
    }
    if (plan.complete()) {
      conditions.set(PROGRESSING, false, ROLLOUT_COMPLETE, revision + " runs: " + perSite);
    } else if (plan.placedComplete() && desired > 0 && unplaced > 0) {
      conditions.set(
          PROGRESSING,
          false,
          INSUFFICIENT_CAPACITY,
          revision
              + " runs: "
              + perSite
              + "; "
              + unplaced
              + " more have no room (see ReplicaFailure)");
    } else if (status.previous == null
        && status.rolloutStarted != null
        && !Instant.parse(status.rolloutStarted).plus(settings.progressDeadline()).isAfter(now)) {
      conditions.set(
          PROGRESSING,
          false,
          PROGRESS_DEADLINE_EXCEEDED,
          revision
              + " is not ready after "
              + Durations.format(settings.progressDeadline())
              + " and there is no earlier revision to go back to: "
              + plan.updatedReplicas()
              + " of "
              + desired
              + " ready ("
              + perSite
              + ")");
    } else {
      conditions.set(
          PROGRESSING,
          true,
          ROLLING_OUT,
          revision
              + ": "
              + plan.updatedReplicas()
              + " of "
              + desired
              + " ready ("
              + perSite
              + ")"
              + (plan.heldPrimary() ? "; the primary starts once its former holder is gone" : "")
              + failing);
    }
    Condition available;
    if (desired == 0 && asked > 0 && !plan.eligible().isEmpty()) {
      available =
          new Condition(
              AVAILABLE,
              Condition.FALSE,
              INSUFFICIENT_CAPACITY,
              "no site has room for a replica: every eligible site ("
                  + String.join(", ", plan.eligible())
                  + ") runs its spec.maxReplicas already; raise one or add a site");
    } else if (desired == 0 && asked > 0) {
      available =
          new Condition(
              AVAILABLE,
              Condition.FALSE,
              NO_ELIGIBLE_SITES,
              "no site can take replicas: a site needs a running agent and must be allowed by"
                  + " spec.sites and reachable");
    } else if (plan.available()) {
      available =
          new Condition(
              AVAILABLE,
              Condition.TRUE,
              MINIMUM_REPLICAS_READY,
              plan.readyReplicas() + " replicas ready (" + perSite + ")");
    } else {
      available =
          new Condition(
              AVAILABLE,
              Condition.FALSE,
              MINIMUM_REPLICAS_UNAVAILABLE,
              plan.readyReplicas()
                  + " replicas ready, "
                  + Math.max(0, desired - spec.maxUnavailable())
                  + " needed ("
                  + perSite
                  + ")");
    }
    conditions.set(available);
    conditions.set(new Condition(READY, available.status, available.reason, available.message));
  }

  /**
   * {@code ReplicaFailure}: replicas without room, and replicas the agents report failing (by
   * name); False once there are none, absent until there were some.
   */
  private static void writeReplicaFailure(
      Conditions.Writer conditions,
      DeploymentStatus status,
      List<Failure> failures,
      int unplaced,
      int asked,
      DeploymentPlanner.Plan plan) {
    List<String> parts = new ArrayList<>();
    if (unplaced > 0) {
      parts.add(
          unplaced
              + " of "
              + asked
              + " replicas have no room: the eligible sites take "
              + plan.eligible().stream()
                  .map(s -> s + " " + plan.desired().getOrDefault(s, 0))
                  .collect(Collectors.joining(", "))
              + " (a Site's spec.maxReplicas, less what other Deployments run there); raise"
              + " spec.maxReplicas of a Site, add a site or lower spec.replicas");
    }
    failures.stream()
        .limit(FAILURES_NAMED)
        .forEach(f -> parts.add(f.replica() + " on " + f.site() + ": " + f.message()));
    if (failures.size() > FAILURES_NAMED) {
      parts.add((failures.size() - FAILURES_NAMED) + " more replicas failing");
    }
    if (!parts.isEmpty()) {
      String reason = unplaced > 0 ? INSUFFICIENT_CAPACITY : failures.get(0).reason();
      conditions.set(REPLICA_FAILURE, true, reason, String.join("; ", parts));
    } else if (status.condition(REPLICA_FAILURE).isPresent()) {
      conditions.set(
          REPLICA_FAILURE, false, REPLICAS_RUNNING, "every replica has room and none is failing");
    }
  }

  /** A replica its site's agent reports as failed or stopped, with the agent's reason. */
  record Failure(String site, String replica, String reason, String message) {}

  /** The replicas of {@code status} their agents last reported failed or stopped, by name. */
  private List<Failure> failures(DeploymentStatus status) {
    if (agents == null) {
      return List.of();
    }
    Map<String, Map<String, ReplicaReport>> bySite = new HashMap<>();
    List<Failure> out = new ArrayList<>();
    for (DeploymentStatus.Replica r : status.replicas) {
      ReplicaReport report = bySite.computeIfAbsent(r.site, agents::replicas).get(r.name);
      if (report != null
          && report.reason() != null
          && (report.state() == ReplicaReport.State.FAILED
              || report.state() == ReplicaReport.State.STOPPED)) {
        out.add(
            new Failure(
                r.site,
                r.name,
                report.reason(),
                report.message() == null ? report.reason() : report.message()));
      }
    }
    return out;
  }

  /**
   * Per site, how many replicas the other declared Deployments have there: as last planned here, or
   * as their status says for those not planned since this process started.
   */
  private Map<String, Integer> takenByOthers(String self) {
    Map<String, Integer> out = new HashMap<>();
    for (Deployment d : store.list(Deployment.class, "Deployment")) {
      String name = d.getMetadata().getName();
      if (name.equals(self)) {
        continue;
      }
      Map<String, Integer> theirs = placed.get(name);
      if (theirs == null) {
        theirs = d.getStatus() == null ? Map.of() : bySite(d.getStatus().replicas);
      }
      theirs.forEach((site, n) -> out.merge(site, n, Integer::sum));
    }
    return out;
  }

  private static Map<String, Integer> bySite(List<DeploymentStatus.Replica> replicas) {
    Map<String, Integer> out = new HashMap<>();
    replicas.forEach(r -> out.merge(r.site, 1, Integer::sum));
    return out;
  }

  /** {@code "REASON message"} when the spec cannot be planned, null otherwise. */
  static String reject(DeploymentSpec spec, List<Site> sites) {
    Set<String> names =
        sites.stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet());
    List<String> unknown = new ArrayList<>();
    if (spec.sites != null) {
      spec.sites.stream()
          .filter(s -> !names.contains(s))
          .forEach(s -> unknown.add("spec.sites " + s));
    }
    if (spec.perSite != null) {
      spec.perSite.keySet().stream()
          .filter(s -> !names.contains(s))
          .sorted()
          .forEach(s -> unknown.add("spec.perSite." + s));
    }
    if (!unknown.isEmpty()) {
      return SITE_NOT_FOUND
          + " "
          + String.join(", ", unknown)
          + ": no such Site; declare it or fix the name";
    }
    try {
      Duration grace = duration(spec.rescheduleAfter, DeploymentSpec.DEFAULT_RESCHEDULE_AFTER);
      duration(spec.progressDeadline, DeploymentSpec.DEFAULT_PROGRESS_DEADLINE);
      duration(spec.drainPeriod, DeploymentSpec.DEFAULT_DRAIN_PERIOD);
      if (grace.compareTo(MIN_RESCHEDULE_AFTER) < 0) {
        return INVALID_SPEC
            + " spec.rescheduleAfter: "
            + spec.rescheduleAfter
            + " is shorter than 10s; the primary's lease is half of it and must outlast a few"
            + " agent heartbeats";
      }
    } catch (IllegalArgumentException e) {
      return INVALID_SPEC + " " + e.getMessage();
    }
    if (spec.perSite != null && spec.perSite.values().stream().anyMatch(n -> n == null || n < 0)) {
      return INVALID_SPEC + " spec.perSite: every count must be 0 or more";
    }
    return null;
  }

  private static Duration duration(String text, Duration otherwise) {
    return text == null ? otherwise : Durations.parse(text);
  }

  private static boolean hasAgent(Site site) {
    return site.getStatus() != null && site.getStatus().agent != null;
  }

  /**
   * A site for the planner: reachable unless its {@code Ready} says the hub lost it ({@code
   * Unreachable}: the heartbeat; {@code TunnelDown}: WireGuard), whatever its backends' health (a
   * site whose backends all fail is still there to run replicas). Since when is this process's own
   * observation: a condition's lastTransitionTime does not move when only its reason changes
   * (backends failing, then the site cut), and after a restart the grace counts from the first
   * look, which only delays a reschedule.
   */
  private DeploymentPlanner.SiteView view(Site site, Instant now, Map<String, Integer> taken) {
    String name = site.getMetadata().getName();
    Optional<Condition> ready =
        site.getStatus() == null ? Optional.empty() : site.getStatus().condition(READY);
    boolean reachable =
        ready
            .map(c -> c.isTrue() || !(UNREACHABLE.equals(c.reason) || TUNNEL_DOWN.equals(c.reason)))
            .orElse(true);
    SiteState state =
        siteStates.compute(
            name,
            (k, v) -> v == null || v.reachable() != reachable ? new SiteState(reachable, now) : v);
    Optional<AgentRegistry.Seen> last = agents == null ? Optional.empty() : agents.last(name);
    return new DeploymentPlanner.SiteView(
        name,
        site.getSpec().priorityOrDefault(),
        reachable,
        state.since(),
        last.map(AgentRegistry.Seen::receivedAt).orElse(started),
        // Not heard since this process started: the longest interval an agent is likely to use.
        last.map(s -> s.report().interval()).orElse(UNHEARD_AGENT_INTERVAL),
        room(site.getSpec().maxReplicasOrUnlimited(), taken.getOrDefault(name, 0)));
  }

  private static int room(int max, int taken) {
    return max == Integer.MAX_VALUE ? max : Math.max(0, max - taken);
  }

  private record SiteState(boolean reachable, Instant since) {}

  /** The replicas of {@code deployment} its sites' agents registered as Backends of its Service. */
  private List<DeploymentStatus.Replica> registered(String deployment, String service) {
    List<DeploymentStatus.Replica> out = new ArrayList<>();
    for (Backend b : store.byIndex(Backend.class, Indexes.BACKENDS_BY_SERVICE, service)) {
      Map<String, String> labels = b.getMetadata().getLabels();
      Optional<String> site = ManagedBy.agentSite(b);
      String name = b.getMetadata().getName();
      if (labels == null
          || site.isEmpty()
          || !deployment.equals(labels.get(ManagedBy.DEPLOYMENT))
          || !name.startsWith(site.get() + "-")) {
        continue;
      }
      DeploymentStatus.Replica r = new DeploymentStatus.Replica();
      r.name = name.substring(site.get().length() + 1);
      r.site = site.get();
      r.service = service;
      r.primary = "true".equals(labels.get(ManagedBy.PRIMARY)) ? Boolean.TRUE : null;
      out.add(r);
    }
    return out;
  }

  private DeploymentPlanner.ReplicaView replica(String site, String name) {
    return store
        .get(Backend.class, "Backend", BackendNames.of(site, name))
        .map(
            b -> {
              Optional<Condition> ready =
                  b.getStatus() == null ? Optional.empty() : b.getStatus().condition(READY);
              boolean serves = ready.map(Condition::isTrue).orElse(false);
              return new DeploymentPlanner.ReplicaView(
                  true, serves, serves ? null : ready.map(c -> since(c)).orElse(null));
            })
        .orElse(DeploymentPlanner.ReplicaView.ABSENT);
  }

  /** When {@code c} last changed; null when the status does not say (an unparsable time). */
  private static Instant since(Condition c) {
    try {
      return c.lastTransitionTime == null ? null : Instant.parse(c.lastTransitionTime);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }
}
