package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Replica;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Template;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Decides which replicas a Deployment's sites run now (pure: no clock, no store, no I/O).
 *
 * <p>One call is one level-triggered step from what was decided before ({@code status.replicas})
 * and what is seen now (sites, which replicas take traffic, when each site's agent last reported):
 *
 * <ol>
 *   <li><b>Revisions.</b> A change of image, port, env or primaryEnv starts a new revision; a spec
 *       equal to a rolled-back one starts nothing (it waits for another change); a spec equal to
 *       the previous revision makes it current again, with the replicas it still has.
 *   <li><b>Placement.</b> Replicas are spread over the eligible sites by priority (lower first, the
 *       first sites get the remainder), or follow {@code perSite}. A site unreachable for {@code
 *       rescheduleAfter} is <i>lost</i>: its replicas are unassigned and placed elsewhere; it gets
 *       replicas again only after being ready for a whole {@code rescheduleAfter} (a flapping site
 *       causes no container churn).
 *   <li><b>Rollout.</b> New replicas are added (BlueGreen: all at once; Rolling: up to {@code
 *       maxSurge} above the desired count); old ones are retired only while the ready replicas stay
 *       at least the desired count less {@code maxUnavailable} (BlueGreen: all at once, once every
 *       new replica is ready). Surplus replicas (a lost site came back) leave the same way, so
 *       nothing is removed before its replacement serves. A replica not ready leaves without
 *       counting, once it has been so for {@link #NOT_READY_GRACE}.
 *   <li><b>Primary.</b> With a primaryEnv, one replica holds it. A new holder is created only when
 *       no replica is assigned as primary and every former holder is gone: its Backend deleted by
 *       its agent, or its agent silent for longer than the holder's lease plus {@link #FENCE_STOP},
 *       by which the agent has stopped it on its own ({@code sbctl agent}'s fence). The duty is
 *       never held twice.
 *   <li><b>Rollback.</b> A rollout not complete within {@code progressDeadline} goes back to the
 *       previous revision, which never stopped serving (its replicas were only retired as the new
 *       ones became ready).
 * </ol>
 */
final class DeploymentPlanner {
  /**
   * How long after its lease a fenced primary may still run: the agent stops it when the lease
   * ends, with SIGTERM then SIGKILL 10 s later ({@code sbctl agent}), plus 2 s for clocks and the
   * stop call itself. A former holder's duty is free only after lease + this.
   */
  static final Duration FENCE_STOP = Duration.ofSeconds(12);

  /**
   * How long a replica that was serving may be not ready before a plan retires it for that alone.
   * One slow probe under load turns a Backend not ready for a fraction of a second; retiring on
   * that moved the primary duty and cost a replica mid-rollout (seen in DeploymentsFleetIT: a 150
   * ms probe timeout, Healthy again 270 ms later).
   */
  static final Duration NOT_READY_GRACE = Duration.ofSeconds(10);

  private DeploymentPlanner() {}

  /**
   * A site as the planner sees it.
   *
   * @param reachable whether the hub reaches the site (its heartbeat and tunnel), whatever its
   *     backends' health
   * @param since since when it has been (un)reachable
   * @param agentSeen when its agent last reported to the hub
   * @param agentInterval how often its agent reports (and lists the hub): its fence counts from its
   *     last listing, which may come up to one interval after the last report the hub has
   * @param room how many replicas of this Deployment the site may run: its {@code maxReplicas} less
   *     the replicas other Deployments have there ({@link Integer#MAX_VALUE}: no limit)
   */
  record SiteView(
      String name,
      int priority,
      boolean reachable,
      Instant since,
      Instant agentSeen,
      Duration agentInterval,
      int room) {
    SiteView(
        String name,
        int priority,
        boolean reachable,
        Instant since,
        Instant agentSeen,
        Duration agentInterval) {
      this(name, priority, reachable, since, agentSeen, agentInterval, Integer.MAX_VALUE);
    }
  }

  /**
   * What the planner needs to know of one replica: whether its Backend exists and serves.
   *
   * @param notReadySince since when its Backend is not ready, when it is registered and not ready
   *     (the Ready condition's last transition); null otherwise
   */
  record ReplicaView(boolean registered, boolean ready, Instant notReadySince) {
    static final ReplicaView ABSENT = new ReplicaView(false, false, null);

    ReplicaView(boolean registered, boolean ready) {
      this(registered, ready, null);
    }
  }

  /**
   * @param deployment the deployment's name (replica names start with it)
   * @param sites every Site of the fleet
   * @param replicas what the hub sees of a replica, by replica name
   * @param registered the replicas of this Deployment whose Backends its sites' agents registered
   *     (name, site and whether primary only), listed or not in its status: a primary among them
   *     that the status does not list (the Deployment was deleted and declared again, or its status
   *     was lost) is a former holder like any other, and their numbers are not used again
   */
  record Input(
      String deployment,
      DeploymentSpec spec,
      DeploymentStatus previous,
      List<SiteView> sites,
      java.util.function.Function<Replica, ReplicaView> replicas,
      List<Replica> registered,
      Instant now) {
    Input(
        String deployment,
        DeploymentSpec spec,
        DeploymentStatus previous,
        List<SiteView> sites,
        java.util.function.Function<Replica, ReplicaView> replicas,
        Instant now) {
      this(deployment, spec, previous, sites, replicas, List.of(), now);
    }
  }

  /**
   * @param status the new status (conditions not set: the reconciler words them)
   * @param desired the newest revision's desired replicas per eligible site
   * @param rolledBack whether this step rolled back
   * @param eligible the sites that may take replicas now, in priority order
   * @param complete every desired replica of the newest revision is ready and nothing else runs
   * @param placedComplete as complete, except that some replicas may have found no room
   * @param available ready replicas reach the desired count less maxUnavailable
   * @param heldPrimary a primary is wanted but waits for its former holder to be gone
   * @param lookAgainIn when a deadline (progress, reschedule, lease) falls, if any
   * @param adopted the registered replicas this plan took over as revision 0 (a Deployment without
   *     a planned status); empty on every other plan
   */
  record Plan(
      DeploymentStatus status,
      Map<String, Integer> desired,
      List<String> eligible,
      boolean rolledBack,
      boolean complete,
      boolean placedComplete,
      boolean available,
      boolean heldPrimary,
      int readyReplicas,
      int updatedReplicas,
      Optional<Duration> lookAgainIn,
      List<Replica> adopted) {}

  /** The template hash of {@code spec}: image, port, env and primaryEnv. */
  static Template template(DeploymentSpec spec, int revision) {
    Template t = new Template();
    t.revision = revision;
    t.image = spec.image;
    t.port = spec.port;
    t.env = spec.env == null ? null : new TreeMap<>(spec.env);
    t.primaryEnv = spec.primaryEnv == null ? null : new TreeMap<>(spec.primaryEnv);
    t.hash =
        hash(t.image + "\n" + t.port + "\n" + spec.envOrEmpty() + "\n" + spec.primaryEnvOrEmpty());
    return t;
  }

  static Plan plan(Input in, Settings settings) {
    DeploymentSpec spec = in.spec();
    DeploymentStatus prev = in.previous() == null ? new DeploymentStatus() : in.previous();
    DeploymentStatus st = new DeploymentStatus();
    st.conditions = new ArrayList<>(prev.conditions);
    st.current = prev.current;
    st.previous = prev.previous;
    st.failedTemplate = prev.failedTemplate;
    st.rolloutStarted = prev.rolloutStarted;
    st.nextReplica = prev.nextReplica == null ? 1 : prev.nextReplica;
    // A name never comes back: a container of that name may still run with another template.
    for (Replica r : in.registered()) {
      st.nextReplica = Math.max(st.nextReplica, number(r.name) + 1);
    }
    st.lostSites = new TreeMap<>(prev.lostSites);
    Instant now = in.now();
    List<Duration> deadlines = new ArrayList<>();

    // 0. A Deployment without a status whose replicas still run (it was deleted and declared again,
    // or its status was lost while the hub was down) adopts them as an older revision: they keep
    // serving, the primary keeps its duty, and they retire as the new replicas become ready.
    List<Replica> previousReplicas = new ArrayList<>(prev.replicas);
    List<Replica> adoptedReplicas = new ArrayList<>();
    if (st.current == null) {
      for (Replica r : in.registered()) {
        Replica adopted = new Replica();
        adopted.name = r.name;
        adopted.site = r.site;
        adopted.service = r.service;
        adopted.revision = 0;
        adopted.primary = r.primary;
        previousReplicas.add(adopted);
        adoptedReplicas.add(adopted);
      }
    }

    // 1. Revisions.
    Template wanted = template(spec, 0);
    if (st.current == null) {
      wanted.revision = 1;
      st.current = wanted;
      st.rolloutStarted = now.toString();
    } else if (!st.current.hash.equals(wanted.hash) && !wanted.hash.equals(st.failedTemplate)) {
      if (st.previous != null && wanted.hash.equals(st.previous.hash)) {
        // Back to the previous revision (an undo): its replicas, still running while the newer
        // one was not complete, serve on as they are instead of being replaced.
        Template back = st.previous;
        st.previous = st.current;
        st.current = back;
      } else {
        // After a rollback the failed revision is the previous one: numbers never repeat.
        wanted.revision =
            Math.max(st.current.revision, st.previous == null ? 0 : st.previous.revision) + 1;
        st.previous = st.current;
        st.current = wanted;
      }
      st.failedTemplate = null;
      st.rolloutStarted = now.toString();
    }

    // 2. Which sites take replicas.
    Duration grace = settings.rescheduleAfter();
    Map<String, SiteView> sites = new LinkedHashMap<>();
    in.sites().stream()
        .filter(s -> spec.sites == null || spec.sites.contains(s.name()))
        .sorted(Comparator.comparingInt(SiteView::priority).thenComparing(SiteView::name))
        .forEach(s -> sites.put(s.name(), s));
    st.lostSites.keySet().removeIf(name -> !sites.containsKey(name));
    List<String> eligible = new ArrayList<>();
    for (SiteView s : sites.values()) {
      Duration inState = Duration.between(s.since(), now);
      boolean lost = st.lostSites.containsKey(s.name());
      if (!s.reachable() && !lost && inState.compareTo(grace) >= 0) {
        st.lostSites.put(s.name(), s.since().toString());
        lost = true;
      } else if (s.reachable() && lost && inState.compareTo(grace) >= 0) {
        st.lostSites.remove(s.name());
        lost = false;
      }
      if (!lost) {
        eligible.add(s.name());
        if (!s.reachable()) {
          deadlines.add(grace.minus(inState));
        }
      } else if (s.reachable()) {
        deadlines.add(grace.minus(inState));
      }
    }
    Map<String, Integer> room = new LinkedHashMap<>();
    eligible.forEach(name -> room.put(name, Math.max(0, sites.get(name).room())));
    Map<String, Integer> desired = desired(spec, room, sites.keySet());
    int desiredTotal = desired.values().stream().mapToInt(Integer::intValue).sum();

    // 3. What stays assigned: replicas of sites still eligible.
    List<Replica> assigned = new ArrayList<>();
    List<Replica> formerPrimaries = new ArrayList<>();
    for (Replica r : previousReplicas) {
      if (eligible.contains(r.site)) {
        assigned.add(r);
      } else if (r.isPrimary()) {
        formerPrimaries.add(r);
      }
    }
    Predicate<Replica> ready = r -> in.replicas().apply(r).ready();
    int currentRevision = st.current.revision;
    Predicate<Replica> isCurrent = r -> r.revision == currentRevision;

    // 4. Rollback when the rollout overran its deadline (the previous revision still serves).
    boolean rolledBack = false;
    Duration deadline = settings.progressDeadline();
    boolean completeBefore = complete(assigned, desired, isCurrent, ready);
    if (!completeBefore && st.previous != null && st.rolloutStarted != null) {
      Duration running = Duration.between(Instant.parse(st.rolloutStarted), now);
      if (running.compareTo(deadline) >= 0) {
        st.failedTemplate = st.current.hash;
        Template failed = st.current;
        st.current = st.previous;
        st.previous = failed;
        st.rolloutStarted = null;
        rolledBack = true;
      } else {
        deadlines.add(deadline.minus(running));
      }
    }
    int revision = st.current.revision;
    Predicate<Replica> cur = r -> r.revision == revision;

    // 5. Primary: who holds it, and whether a new holder may be created.
    boolean wantPrimary = !spec.primaryEnvOrEmpty().isEmpty();
    formerPrimaries.addAll(prev.retiredPrimaries);
    java.util.Set<String> known = new java.util.HashSet<>();
    previousReplicas.forEach(r -> known.add(r.name));
    prev.retiredPrimaries.forEach(r -> known.add(r.name));
    in.registered().stream()
        .filter(r -> r.isPrimary() && !known.contains(r.name))
        .forEach(formerPrimaries::add);
    List<Replica> stillAlive = new ArrayList<>();
    for (Replica p : formerPrimaries) {
      ReplicaView seen = in.replicas().apply(p);
      SiteView site = sites.get(p.site);
      Duration lease =
          lease(p, settings)
              .plus(FENCE_STOP)
              .plus(site == null ? Duration.ZERO : site.agentInterval());
      Duration silent = site == null ? lease : Duration.between(site.agentSeen(), now);
      if (seen.registered() && silent.compareTo(lease) < 0) {
        stillAlive.add(p);
        deadlines.add(lease.minus(silent));
      }
    }
    boolean primaryAssigned = assigned.stream().anyMatch(Replica::isPrimary);
    boolean primaryFree = wantPrimary && !primaryAssigned && stillAlive.isEmpty();

    // 6. Add what the newest revision lacks, within the surge budget.
    boolean blueGreen = spec.strategyType() == DeploymentSpec.Strategy.Type.BLUE_GREEN;
    int budget = blueGreen ? Integer.MAX_VALUE : desiredTotal + spec.maxSurge() - assigned.size();
    boolean primaryHeld = false;
    boolean currentHasPrimary = assigned.stream().anyMatch(r -> cur.test(r) && r.isPrimary());
    for (Map.Entry<String, Integer> e : desired.entrySet()) {
      long have = assigned.stream().filter(r -> cur.test(r) && r.site.equals(e.getKey())).count();
      for (long i = have; i < e.getValue() && budget > 0; i++) {
        boolean asPrimary = wantPrimary && !currentHasPrimary;
        if (asPrimary && !primaryFree) {
          // This slot is the primary's: it waits for the former holder to be gone.
          primaryHeld = true;
          currentHasPrimary = true;
          continue;
        }
        assigned.add(replica(in.deployment(), spec, st, e.getKey(), asPrimary, settings));
        currentHasPrimary |= asPrimary;
        primaryFree &= !asPrimary;
        budget--;
      }
    }

    // 7. Retire old revisions and surplus while enough replicas stay ready.
    int minReady = Math.max(0, desiredTotal - (blueGreen ? 0 : spec.maxUnavailable()));
    int slack = primaryHeld ? 1 : 0;
    List<Replica> retiring = new ArrayList<>();
    List<Replica> candidates = new ArrayList<>();
    for (Replica r : assigned) {
      if (!cur.test(r)) {
        candidates.add(r);
      }
    }
    for (String site : eligible) {
      List<Replica> onSite =
          assigned.stream().filter(r -> cur.test(r) && r.site.equals(site)).toList();
      int surplus = onSite.size() - desired.getOrDefault(site, 0);
      onSite.stream()
          .sorted(retireOrder(ready))
          .limit(Math.max(0, surplus))
          .forEach(candidates::add);
    }
    candidates.sort(retireOrder(ready));
    long newReady = assigned.stream().filter(r -> cur.test(r) && ready.test(r)).count();
    long readyNow = assigned.stream().filter(ready).count();
    boolean cutOver = !blueGreen || newReady + slack >= desiredTotal;
    for (Replica r : candidates) {
      boolean counts = ready.test(r);
      Duration stillInGrace = graceLeft(in.replicas().apply(r), now);
      if (!counts && stillInGrace != null) {
        // Not ready for a moment only: kept (not counted) until it serves again or the grace ends.
        deadlines.add(stillInGrace);
        continue;
      }
      if (!counts || (cutOver && readyNow - 1 >= minReady - slack)) {
        retiring.add(r);
        if (counts) {
          readyNow--;
        }
      }
    }
    assigned.removeAll(retiring);
    for (Replica r : retiring) {
      if (r.isPrimary()) {
        stillAlive.add(r);
      }
    }
    stillAlive.sort(Comparator.comparing(r -> r.name));
    st.retiredPrimaries = stillAlive;

    // 8. The result.
    assigned.sort(Comparator.comparing(r -> r.name));
    st.replicas = assigned;
    st.currentImage = st.current.image;
    st.previousImage = st.previous == null ? null : st.previous.image;
    int readyCount = (int) assigned.stream().filter(ready).count();
    int updated = (int) assigned.stream().filter(r -> cur.test(r) && ready.test(r)).count();
    st.readyReplicas = readyCount;
    st.updatedReplicas = updated;
    st.sites = new ArrayList<>();
    for (String site : new TreeSet<>(sites.keySet())) {
      List<Replica> on = assigned.stream().filter(r -> r.site.equals(site)).toList();
      int d = desired.getOrDefault(site, 0);
      if (d > 0 || !on.isEmpty()) {
        st.sites.add(
            new DeploymentStatus.SiteReplicas(
                site, d, on.size(), (int) on.stream().filter(ready).count()));
      }
    }
    // Nowhere to place them is not done: the count asked must be placed.
    boolean placedComplete = complete(assigned, desired, cur, ready) && !primaryHeld;
    boolean complete = placedComplete && desiredTotal == spec.replicasOrDefault();
    if (placedComplete && desiredTotal > 0) {
      // Done as far as room allows: a later failure of a replica is not this rollout's to judge.
      st.rolloutStarted = null;
    }
    boolean available =
        desiredTotal == 0
            ? spec.replicasOrDefault() == 0
            : readyCount >= Math.max(0, desiredTotal - spec.maxUnavailable());
    Optional<Duration> lookAgain =
        deadlines.stream()
            .map(d -> d.isNegative() ? Duration.ZERO : d)
            .min(Comparator.naturalOrder())
            .map(d -> d.plusMillis(100));
    return new Plan(
        st,
        desired,
        List.copyOf(eligible),
        rolledBack,
        complete,
        placedComplete,
        available,
        primaryHeld,
        readyCount,
        updated,
        lookAgain,
        List.copyOf(adoptedReplicas));
  }

  /**
   * The replicas each eligible site should run of the newest revision: never more than its room;
   * what a site cannot take goes to the others with room left, and what none can take is left out
   * (the plan's caller reports it).
   *
   * @param room the eligible sites in priority order, with how many replicas each may run
   */
  static Map<String, Integer> desired(
      DeploymentSpec spec, Map<String, Integer> room, java.util.Set<String> allowed) {
    Map<String, Integer> out = new LinkedHashMap<>();
    List<String> eligible = List.copyOf(room.keySet());
    if (eligible.isEmpty()) {
      return out;
    }
    int spread = spec.replicasOrDefault();
    if (spec.perSite != null) {
      spread = 0;
      for (Map.Entry<String, Integer> e : spec.perSite.entrySet()) {
        int n = e.getValue() == null ? 0 : e.getValue();
        if (eligible.contains(e.getKey())) {
          int placed = Math.min(n, room.get(e.getKey()) - out.getOrDefault(e.getKey(), 0));
          out.merge(e.getKey(), placed, Integer::sum);
          spread += n - placed; // beyond its room: the others take it if they can
        } else if (allowed.contains(e.getKey())) {
          spread += n; // a lost site's share goes to the others
        }
      }
    }
    // Round robin over the sites with room left, in priority order.
    int next = 0;
    while (spread > 0) {
      String site = null;
      for (int k = 0; k < eligible.size() && site == null; k++) {
        String candidate = eligible.get((next + k) % eligible.size());
        if (out.getOrDefault(candidate, 0) < room.get(candidate)) {
          site = candidate;
          next = (next + k + 1) % eligible.size();
        }
      }
      if (site == null) {
        break; // every site is full
      }
      out.merge(site, 1, Integer::sum);
      spread--;
    }
    // In site order (priority), sites with nothing left out.
    Map<String, Integer> ordered = new LinkedHashMap<>();
    for (String s : eligible) {
      if (out.getOrDefault(s, 0) > 0) {
        ordered.put(s, out.get(s));
      }
    }
    return ordered;
  }

  private static boolean complete(
      List<Replica> assigned,
      Map<String, Integer> desired,
      Predicate<Replica> cur,
      Predicate<Replica> ready) {
    if (assigned.stream().anyMatch(cur.negate())) {
      return false;
    }
    for (Map.Entry<String, Integer> e : desired.entrySet()) {
      long ok = assigned.stream().filter(r -> r.site.equals(e.getKey()) && ready.test(r)).count();
      long on = assigned.stream().filter(r -> r.site.equals(e.getKey())).count();
      if (ok < e.getValue() || on != e.getValue()) {
        return false;
      }
    }
    return assigned.size() == desired.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Not ready first (they cost nothing), primaries last (the duty moves as late as it can). */
  /**
   * What is left of {@link #NOT_READY_GRACE} for a registered replica that stopped being ready;
   * null when it serves, is not registered, or has been not ready longer (or since an unknown
   * time).
   */
  private static Duration graceLeft(ReplicaView seen, Instant now) {
    if (seen.ready() || !seen.registered() || seen.notReadySince() == null) {
      return null;
    }
    Duration left = NOT_READY_GRACE.minus(Duration.between(seen.notReadySince(), now));
    return left.isNegative() || left.isZero() ? null : left;
  }

  private static Comparator<Replica> retireOrder(Predicate<Replica> ready) {
    return Comparator.<Replica, Boolean>comparing(ready::test)
        .thenComparing(Replica::isPrimary)
        .thenComparing(r -> r.name);
  }

  private static Replica replica(
      String deployment,
      DeploymentSpec spec,
      DeploymentStatus st,
      String site,
      boolean primary,
      Settings settings) {
    Template t = st.current;
    Replica r = new Replica();
    r.name = deployment + "-r" + t.revision + "-" + st.nextReplica;
    st.nextReplica = st.nextReplica + 1;
    r.site = site;
    r.service = spec.service;
    r.revision = t.revision;
    r.image = t.image;
    r.port = t.port;
    Map<String, String> env = new TreeMap<>(t.env == null ? Map.of() : t.env);
    if (primary) {
      env.putAll(t.primaryEnv == null ? Map.of() : t.primaryEnv);
      r.primary = true;
      r.lease = settings.lease().toSeconds() + "s";
    }
    r.env = env.isEmpty() ? null : env;
    return r;
  }

  /** The number a replica's name ends with ({@code api-r2-7}: 7), 0 when it ends otherwise. */
  static int number(String replica) {
    int dash = replica.lastIndexOf('-');
    try {
      return dash < 0 ? 0 : Integer.parseInt(replica.substring(dash + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Duration lease(Replica primary, Settings settings) {
    try {
      return primary.lease == null
          ? settings.lease()
          : fr.acecinema.switchboard.util.Durations.parse(primary.lease);
    } catch (IllegalArgumentException e) {
      return settings.lease();
    }
  }

  /**
   * The durations a step works with, parsed from the spec.
   *
   * @param lease how long a primary's agent keeps it without reaching the hub; shorter than
   *     rescheduleAfter so the duty is free by the time the site is rescheduled
   */
  record Settings(Duration progressDeadline, Duration rescheduleAfter, Duration lease) {}

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
