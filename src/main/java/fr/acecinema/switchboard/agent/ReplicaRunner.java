package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Replica;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.docker.ContainerSpec;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.DockerEngine;
import fr.acecinema.switchboard.docker.DockerEngineException;
import fr.acecinema.switchboard.docker.HealthStatus;
import fr.acecinema.switchboard.docker.ReplicaLabels;
import fr.acecinema.switchboard.util.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a site's Docker engine run the Deployment replicas the hub assigns to the site ({@code
 * status.replicas} with {@code site} this one), on the {@link SiteAgent}'s worker: {@link #refresh}
 * reads the assignment from the hub, {@link #pass} compares it with the engine's containers and
 * acts. Each pass first decides ({@link #decide}: no Docker call) and then acts ({@link #act}).
 *
 * <ul>
 *   <li>An assigned replica without a container is created (its image must be on the engine:
 *       nothing is pulled) and started; one whose container exited is started again with backoff (1
 *       s doubling to 30 s, back to 1 s after a minute of running).
 *   <li>A container labelled as a replica ({@link ReplicaLabels}) that is no longer assigned is
 *       retired: marked {@link #draining} so the agent writes its Backend drained, kept running
 *       drained for its deployment's {@code drainPeriod} once the hub has the drain, then stopped
 *       (SIGTERM, SIGKILL after {@link #STOP_TIMEOUT}) and removed; the agent then deletes its
 *       Backend as for any container gone.
 *   <li>The fence: a running primary is stopped once the last successful listing of the hub is
 *       older than its {@code lease}. The hub hands the duty to another replica only after a longer
 *       silence, so a site cut off from the hub never runs it at the same time as another. It is
 *       started again once the hub answers and still assigns it.
 * </ul>
 *
 * Containers without the replica label are never touched, nor is a container whose labels name
 * another deployment than the one its name is assigned to. While the hub does not answer, the last
 * assignment it gave stands; before the first one, nothing is created or retired.
 */
final class ReplicaRunner {
  /** How long a stopped replica has between SIGTERM and SIGKILL. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /** The lease of a primary whose assignment does not say (or is no longer known). */
  static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

  /** How long a replica must run for its restart backoff to start over from the first wait. */
  static final Duration STABLE_AFTER = Duration.ofMinutes(1);

  /** How soon a retiring replica is looked at again while the hub has not got its drain. */
  static final Duration DRAIN_CHECK = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaRunner.class);

  /** A replica this site must run, and the deployment whose status names it. */
  record Assigned(String deployment, Replica replica) {
    String name() {
      return replica.name;
    }
  }

  /** What a pass does to the engine, decided before any of it is done. */
  sealed interface Action {
    /** Create the replica's container and start it. */
    record Create(Assigned assigned) implements Action {}

    /** Start an existing container; {@code restart} counts it as one after an exit. */
    record Start(Assigned assigned, boolean restart) implements Action {}

    /** Stop a container; {@code why} is logged. */
    record Stop(DockerContainer container, String why) implements Action {}

    /** Remove a stopped container. */
    record Remove(DockerContainer container) implements Action {}
  }

  /** A container on its way out: drained for {@code period} from {@code drainedAt}. */
  private static final class Retiring {
    final Duration period;
    Instant drainedAt;

    Retiring(Duration period) {
      this.period = period;
    }
  }

  /** A replica's failures and restarts. */
  private static final class Restarts {
    final Backoff backoff = new Backoff(SiteAgent.FIRST_BACKOFF, SiteAgent.MAX_BACKOFF);
    int count;
    Instant nextAt = Instant.MIN;
    // The start time of the exited life whose restart is scheduled: one exit, one backoff step.
    Optional<Instant> exitScheduled = Optional.empty();
    String reason;
    String message;
  }

  /** First port a replica is published on (its Backend's port); see {@link #LAST_PORT}. */
  static final int FIRST_PORT = 30_000;

  /**
   * Last port a replica is published on: 30000-32767 sits just below Linux's default ephemeral
   * range (32768-60999), so no outgoing connection of the site is handed one, and above the usual
   * service ports. The lowest free port is taken.
   */
  static final int LAST_PORT = 32_767;

  private final String site;
  private final DockerEngine engine;
  private final HubClient hub;
  private final Predicate<String> backendDrained;
  private final java.util.function.Supplier<String> address;
  private final java.util.function.IntPredicate portFree;
  // Published ports of the replica containers listed in this pass, and those created in it.
  private final Set<Integer> portsInUse = new HashSet<>();

  // Read by the fence's own thread too (fenceOverdue): replaced whole, never changed in place.
  private volatile Map<String, Assigned> assigned;
  private Map<String, Duration> drainPeriods = Map.of();
  private volatile Instant listedAt;
  // The shortest lease of the primary containers the last pass saw, assigned or not (the fence
  // thread asks the engine only once one of them may have run out).
  private volatile Duration shortestContainerLease = DEFAULT_LEASE;
  private Instant dueAt = Instant.MAX;
  // The last pass left a fenced primary: the next listing that succeeds calls for a pass.
  private boolean fencedAny;
  private final Map<String, Retiring> retiring = new HashMap<>();
  private final Map<String, Restarts> restarts = new HashMap<>();
  private final Map<String, ReplicaReport> reports = new TreeMap<>();

  /**
   * @param site the site whose replicas run here
   * @param backendDrained whether the Backend of the container of this name is drained on the hub,
   *     or absent (then no request can reach it)
   */
  /**
   * @param address the site address replicas are published on (the agent's advertise address); null
   *     while unknown: no replica is created then
   * @param portFree whether a port can be bound on that address now (a process outside Docker may
   *     hold it)
   */
  ReplicaRunner(
      String site,
      DockerEngine engine,
      HubClient hub,
      Predicate<String> backendDrained,
      java.util.function.Supplier<String> address,
      java.util.function.IntPredicate portFree) {
    this.site = site;
    this.engine = engine;
    this.hub = hub;
    this.backendDrained = backendDrained;
    this.address = address;
    this.portFree = portFree;
  }

  /** Whether {@code port} can be bound on {@code address} now (a listening test, then closed). */
  static boolean bindable(String address, int port) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.bind(new java.net.InetSocketAddress(address, port));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** The lowest port of the range no replica container holds and nothing else listens on. */
  private OptionalInt freePort() {
    for (int port = FIRST_PORT; port <= LAST_PORT; port++) {
      if (!portsInUse.contains(port) && portFree.test(port)) {
        return OptionalInt.of(port);
      }
    }
    return OptionalInt.empty();
  }

  /**
   * Reads the assignment from the hub; true when a pass is due: the assignment changed, or a
   * deadline of the last pass came (a restart, the end of a drain, a primary's lease).
   */
  boolean refresh(Instant now) {
    List<Deployment> deployments;
    try {
      deployments = hub.deployments();
    } catch (HubException e) {
      // The heartbeat and the Backend writes log the hub's outages; the fence counts its length.
      LOG.debug("cannot list the deployments: {}", e.getMessage());
      return !now.isBefore(dueAt);
    }
    Map<String, Assigned> next = assignments(site, deployments, assigned);
    boolean changed = !next.equals(assigned);
    assigned = next;
    drainPeriods = drainPeriods(deployments);
    listedAt = now;
    return changed || fencedAny || !now.isBefore(dueAt);
  }

  /**
   * Stops every running primary whose lease has run out since the last successful listing. Called
   * from a thread of its own, often: the worker may be blocked for up to a call's timeout in a
   * request to an unreachable hub, and a fence that waited for it would let the duty run beyond the
   * lease the hub counts on, that is twice. Idempotent with the worker's own fence.
   *
   * @return the containers it stopped
   */
  List<String> fenceOverdue(Instant now) throws DockerEngineException {
    Map<String, Assigned> known = assigned;
    Instant listed = listedAt;
    if (listed == null || known == null) {
      // Never listed since the agent started: its worker's first pass fences what it finds.
      return List.of();
    }
    Duration shortest =
        java.util.stream.Stream.concat(
                known.values().stream()
                    .filter(a -> a.replica().isPrimary())
                    .map(a -> parsed(a.replica().lease, DEFAULT_LEASE)),
                java.util.stream.Stream.of(shortestContainerLease))
            .min(Duration::compareTo)
            .orElse(DEFAULT_LEASE);
    if (!now.isAfter(listed.plus(shortest))) {
      return List.of(); // no lease can have run out: no need to ask the engine
    }
    List<String> stopped = new ArrayList<>();
    for (DockerContainer c : engine.containers()) {
      Optional<ReplicaLabels.Owner> owner =
          ReplicaLabels.read(c.labels()).filter(o -> o.replica().equals(c.name()));
      if (owner.isEmpty() || !owner.get().primary() || c.state() != DockerContainer.State.RUNNING) {
        continue;
      }
      Assigned a = known.get(c.name());
      Duration lease = a == null ? containerLease(c) : parsed(a.replica().lease, DEFAULT_LEASE);
      if (fenced(lease, now)) {
        LOG.warn(
            "primary replica {} stopped: the hub has not answered for {} (its lease is {})",
            c.name(),
            silence(now),
            Durations.format(lease));
        engine.stop(c.name(), STOP_TIMEOUT);
        stopped.add(c.name());
      }
    }
    return stopped;
  }

  /**
   * A primary container's own lease (its label), for one the hub no longer lists: the hub counts on
   * it being stopped by then. {@link #DEFAULT_LEASE} for a container created without one.
   */
  private static Duration containerLease(DockerContainer c) {
    return parsed(c.labels().get(ReplicaLabels.LEASE), DEFAULT_LEASE);
  }

  /** When {@link #refresh} should run again at the latest (a deadline of the last pass). */
  Instant dueAt() {
    return dueAt;
  }

  /** Acts on the engine's containers as listed now; the agent lists them again on the events. */
  void pass(List<DockerContainer> containers, Instant now) {
    act(decide(containers, now), now);
  }

  /** Whether the container with this id is being retired: its Backend must be drained. */
  boolean draining(String containerId) {
    return retiring.containsKey(containerId);
  }

  /** The assigned replicas as the last pass left them, by name. */
  List<ReplicaReport> reports() {
    return List.copyOf(reports.values());
  }

  /**
   * The replicas of {@code site} in the deployments' status, by name. A Deployment listed without a
   * status the hub planned ({@code status.current} absent: its file was just rewritten by hand, and
   * the hub writes the status back within moments) keeps what {@code before} assigned of it: no
   * status is no instruction, and reading it as "run nothing" would drain every replica and leave a
   * primary fenced on the default lease instead of its own.
   */
  static Map<String, Assigned> assignments(
      String site, List<Deployment> deployments, Map<String, Assigned> before) {
    Map<String, Assigned> out = new TreeMap<>();
    for (Deployment d : deployments) {
      if (d.getStatus() == null || d.getStatus().current == null) {
        if (before != null) {
          String name = d.getMetadata().getName();
          before.forEach(
              (replica, a) -> {
                if (a.deployment().equals(name)) {
                  out.put(replica, a);
                }
              });
        }
        continue;
      }
      if (d.getStatus().replicas == null) {
        continue;
      }
      for (Replica r : d.getStatus().replicas) {
        if (r != null && site.equals(r.site) && r.name != null) {
          out.put(r.name, new Assigned(d.getMetadata().getName(), r));
        }
      }
    }
    return out;
  }

  private static Map<String, Duration> drainPeriods(List<Deployment> deployments) {
    Map<String, Duration> out = new HashMap<>();
    for (Deployment d : deployments) {
      DeploymentSpec spec = d.getSpec();
      out.put(
          d.getMetadata().getName(),
          parsed(spec == null ? null : spec.drainPeriod, DeploymentSpec.DEFAULT_DRAIN_PERIOD));
    }
    return out;
  }

  private static Duration parsed(String text, Duration otherwise) {
    if (text == null) {
      return otherwise;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      return otherwise;
    }
  }

  // ---- decisions: no Docker call below, until act()

  /** What to do now, in order; the reports of the replicas left as they are. */
  List<Action> decide(List<DockerContainer> containers, Instant now) {
    Map<String, DockerContainer> byName = new HashMap<>();
    containers.forEach(c -> byName.put(c.name(), c));
    List<Action> out = new ArrayList<>();
    portsInUse.clear();
    Duration shortestLease = DEFAULT_LEASE;
    for (DockerContainer c : containers) {
      Optional<ReplicaLabels.Owner> replica = ReplicaLabels.read(c.labels());
      if (replica.isPresent() && replica.get().primary()) {
        Duration lease = containerLease(c);
        shortestLease = lease.compareTo(shortestLease) < 0 ? lease : shortestLease;
      }
      if (replica.isPresent()) {
        try {
          portsInUse.add(Integer.parseInt(c.labels().getOrDefault(ContainerLabels.PORT, "")));
        } catch (NumberFormatException e) {
          // not a port we published: nothing to keep clear
        }
      }
    }
    shortestContainerLease = shortestLease;
    reports.clear();
    dueAt = Instant.MAX;
    fencedAny = false;
    if (assigned != null) {
      for (Assigned a : assigned.values()) {
        decide(a, byName.get(a.name()), now, out);
      }
      restarts.keySet().retainAll(assigned.keySet());
    }
    Set<String> leaving = new HashSet<>();
    for (DockerContainer c : containers) {
      Optional<ReplicaLabels.Owner> owner =
          ReplicaLabels.read(c.labels()).filter(o -> o.replica().equals(c.name()));
      if (owner.isEmpty() || (assigned != null && assigned.containsKey(c.name()))) {
        continue; // not a replica, or assigned (and decided above, conflict included)
      }
      if (owner.get().primary()
          && c.state() == DockerContainer.State.RUNNING
          && fenced(containerLease(c), now)) {
        out.add(new Action.Stop(c, "fenced: the hub has not answered for " + silence(now)));
      } else if (assigned != null) {
        leaving.add(c.id());
        retire(c, owner.get(), now, out);
      }
    }
    retiring.keySet().retainAll(leaving);
    return out;
  }

  private void decide(Assigned a, DockerContainer c, Instant now, List<Action> out) {
    Replica r = a.replica();
    Duration lease = parsed(r.lease, DEFAULT_LEASE);
    boolean fenced = r.isPrimary() && fenced(lease, now);
    Restarts rs = restarts.computeIfAbsent(a.name(), n -> new Restarts());
    fencedAny |= fenced;
    if (r.isPrimary() && !fenced) {
      due(listedAt.plus(lease).plusMillis(1)); // the pass that fences it, if the hub stays silent
    }
    if (fenced && (c == null || c.state() != DockerContainer.State.RUNNING)) {
      report(a, ReplicaReport.State.STOPPED, ReplicaReport.FENCED, fenceMessage(lease));
      return;
    }
    if (c == null) {
      if (waiting(rs, a, now)) {
        return;
      }
      out.add(new Action.Create(a));
      return;
    }
    Optional<ReplicaLabels.Owner> owner = ReplicaLabels.read(c.labels());
    if (owner.isEmpty()
        || !owner.get().deployment().equals(a.deployment())
        || !owner.get().replica().equals(a.name())) {
      report(
          a,
          ReplicaReport.State.FAILED,
          ReplicaReport.NAME_CONFLICT,
          "a container named "
              + a.name()
              + " exists on the engine and is not this replica of deployment "
              + a.deployment()
              + "; the agent leaves it alone: remove or rename it");
      return;
    }
    switch (c.state()) {
      case RUNNING -> {
        if (fenced) {
          out.add(new Action.Stop(c, "fenced: the hub has not answered for " + silence(now)));
          report(a, ReplicaReport.State.STOPPED, ReplicaReport.FENCED, fenceMessage(lease));
          rs.exitScheduled = c.startedAt(); // a stop of ours, not a crash
          rs.nextAt = Instant.MIN;
          rs.reason = null;
          return;
        }
        if (c.startedAt().filter(s -> !now.isBefore(s.plus(STABLE_AFTER))).isPresent()) {
          rs.backoff.reset();
        }
        running(a, c, rs);
      }
      case CREATED, EXITED, DEAD -> {
        boolean exited = c.state() != DockerContainer.State.CREATED && c.startedAt().isPresent();
        if (exited && !c.startedAt().equals(rs.exitScheduled)) {
          rs.exitScheduled = c.startedAt();
          rs.nextAt = now.plus(rs.backoff.next());
          rs.reason = ReplicaReport.EXITED;
        }
        if (exited && ReplicaReport.EXITED.equals(rs.reason)) {
          rs.message =
              "exited with code "
                  + c.exitCode()
                  + "; "
                  + rs.count
                  + " restart(s) so far; the next start in "
                  + Math.max(0, Duration.between(now, rs.nextAt).toSeconds())
                  + " s";
        }
        if (waiting(rs, a, now)) {
          return;
        }
        out.add(new Action.Start(a, exited && ReplicaReport.EXITED.equals(rs.reason)));
      }
      default ->
          report(
              a,
              ReplicaReport.State.STARTING,
              null,
              "the container is " + c.state().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private void running(Assigned a, DockerContainer c, Restarts rs) {
    rs.reason = null;
    rs.message = null;
    if (c.health() == HealthStatus.STARTING) {
      report(a, ReplicaReport.State.STARTING, null, "its healthcheck has not passed yet");
    } else if (c.health() == HealthStatus.UNHEALTHY) {
      report(a, ReplicaReport.State.FAILED, "Unhealthy", "its healthcheck fails");
    } else {
      report(a, ReplicaReport.State.RUNNING, null, null);
    }
  }

  /** Whether a failed replica waits for its backoff (reported failed meanwhile). */
  private boolean waiting(Restarts rs, Assigned a, Instant now) {
    if (rs.reason == null || !now.isBefore(rs.nextAt)) {
      return false;
    }
    report(a, ReplicaReport.State.FAILED, rs.reason, rs.message);
    due(rs.nextAt);
    return true;
  }

  private void retire(DockerContainer c, ReplicaLabels.Owner owner, Instant now, List<Action> out) {
    if (c.state() != DockerContainer.State.RUNNING) {
      out.add(new Action.Remove(c));
      return;
    }
    Retiring t =
        retiring.computeIfAbsent(
            c.id(),
            id -> {
              LOG.info(
                  "replica {} of deployment {} is no longer assigned to site {}: draining it",
                  c.name(),
                  owner.deployment(),
                  site);
              return new Retiring(
                  drainPeriods.getOrDefault(
                      owner.deployment(), DeploymentSpec.DEFAULT_DRAIN_PERIOD));
            });
    if (t.drainedAt == null) {
      if (!backendDrained.test(c.name())) {
        due(now.plus(DRAIN_CHECK));
        return;
      }
      t.drainedAt = now;
    }
    Instant stopAt = t.drainedAt.plus(t.period);
    if (now.isBefore(stopAt)) {
      due(stopAt);
      return;
    }
    out.add(new Action.Stop(c, "retired after a drain of " + t.period.toMillis() + " ms"));
    out.add(new Action.Remove(c));
  }

  private boolean fenced(Duration lease, Instant now) {
    return listedAt == null || now.isAfter(listedAt.plus(lease));
  }

  private String silence(Instant now) {
    return listedAt == null
        ? "as long as this agent runs"
        : Duration.between(listedAt, now).toMillis() + " ms";
  }

  private static String fenceMessage(Duration lease) {
    return "stopped: the agent has not reached the hub for longer than the primary's lease ("
        + lease.toMillis()
        + " ms); started again once the hub answers and still assigns it";
  }

  private void due(Instant t) {
    if (t.isBefore(dueAt)) {
      dueAt = t;
    }
  }

  private void report(Assigned a, ReplicaReport.State state, String reason, String message) {
    reports.put(a.name(), new ReplicaReport(a.name(), state, reason, message));
  }

  // ---- acting on the engine

  private void act(List<Action> actions, Instant now) {
    Set<String> failed = new HashSet<>();
    for (Action action : actions) {
      switch (action) {
        case Action.Create c -> create(c.assigned(), now);
        case Action.Start s -> start(s.assigned(), s.restart(), now);
        case Action.Stop s -> {
          try {
            LOG.info("stopping container {} ({})", s.container().name(), s.why());
            engine.stop(s.container().name(), STOP_TIMEOUT);
          } catch (DockerEngineException e) {
            failed.add(s.container().id());
            LOG.warn("cannot stop container {}: {}", s.container().name(), e.getMessage());
          }
        }
        case Action.Remove r -> {
          if (failed.contains(r.container().id())) {
            continue; // still running: removed after a stop that works
          }
          try {
            engine.remove(r.container().name());
            LOG.info("container {} removed", r.container().name());
          } catch (DockerEngineException e) {
            LOG.warn("cannot remove container {}: {}", r.container().name(), e.getMessage());
          }
        }
      }
    }
  }

  private void create(Assigned a, Instant now) {
    Replica r = a.replica();
    Restarts rs = restarts.computeIfAbsent(a.name(), n -> new Restarts());
    if (r.image == null || r.port == null || r.service == null) {
      failed(
          a,
          rs,
          ReplicaReport.CREATE_FAILED,
          "the hub's status names no image, port or service",
          now);
      return;
    }
    try {
      if (!engine.imageExists(r.image)) {
        failed(
            a,
            rs,
            ReplicaReport.IMAGE_NOT_FOUND,
            "image "
                + r.image
                + " is not on the Docker engine of site "
                + site
                + "; load or import it there (sites pull nothing)",
            now);
        return;
      }
      String host = address.get();
      if (host == null) {
        failed(
            a,
            rs,
            ReplicaReport.CREATE_FAILED,
            "the agent does not know its advertise address yet",
            now);
        return;
      }
      OptionalInt port = freePort();
      if (port.isEmpty()) {
        failed(
            a,
            rs,
            ReplicaReport.CREATE_FAILED,
            "no free port in "
                + FIRST_PORT
                + "-"
                + LAST_PORT
                + " on "
                + host
                + " to publish the replica on",
            now);
        return;
      }
      portsInUse.add(port.getAsInt());
      engine.create(
          new ContainerSpec(
              a.name(),
              r.image,
              r.env == null ? Map.of() : r.env,
              ReplicaLabels.of(
                  a.deployment(),
                  a.name(),
                  r.revision == null ? 0 : r.revision,
                  r.isPrimary(),
                  r.service,
                  port.getAsInt(),
                  r.isPrimary() ? r.lease : null),
              host,
              port.getAsInt(),
              r.port));
    } catch (DockerEngineException e) {
      failed(a, rs, ReplicaReport.CREATE_FAILED, e.getMessage(), now);
      return;
    }
    LOG.info("replica {} of deployment {} created ({})", a.name(), a.deployment(), r.image);
    start(a, false, now);
  }

  private void start(Assigned a, boolean restart, Instant now) {
    Restarts rs = restarts.computeIfAbsent(a.name(), n -> new Restarts());
    try {
      engine.start(a.name());
    } catch (DockerEngineException e) {
      if (portTaken(e.getMessage())) {
        // Taken between our check and the start (a process outside Docker): a container keeps the
        // port it was created with, so it is created again on another free port.
        failed(
            a,
            rs,
            ReplicaReport.PORT_IN_USE,
            "its published port was taken by another process when it started ("
                + e.getMessage()
                + "); it is created again on another free port",
            now);
        try {
          engine.remove(a.name());
        } catch (DockerEngineException gone) {
          LOG.warn("cannot remove container {}: {}", a.name(), gone.getMessage());
        }
        return;
      }
      failed(a, rs, ReplicaReport.START_FAILED, e.getMessage(), now);
      return;
    }
    if (restart) {
      rs.count++;
    }
    rs.reason = null;
    rs.message = null;
    LOG.info(
        "replica {} of deployment {} started{}",
        a.name(),
        a.deployment(),
        restart ? " again (restart " + rs.count + ")" : "");
    report(
        a,
        ReplicaReport.State.STARTING,
        null,
        restart ? "started again after an exit; " + rs.count + " restart(s) so far" : null);
  }

  /** Docker's words when a published port cannot be bound (userland proxy, or its own table). */
  static boolean portTaken(String engineMessage) {
    return engineMessage != null
        && (engineMessage.contains("address already in use")
            || engineMessage.contains("port is already allocated"));
  }

  private void failed(Assigned a, Restarts rs, String reason, String message, Instant now) {
    if (!reason.equals(rs.reason) || !message.equals(rs.message)) {
      LOG.warn("replica {} of deployment {}: {}", a.name(), a.deployment(), message);
    }
    rs.reason = reason;
    rs.message = message;
    rs.nextAt = now.plus(rs.backoff.next());
    due(rs.nextAt);
    report(a, ReplicaReport.State.FAILED, reason, message);
  }
}
