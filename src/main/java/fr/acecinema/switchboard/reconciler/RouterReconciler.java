package fr.acecinema.switchboard.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.caddy.CaddyAdmin;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.CaddyException;
import fr.acecinema.switchboard.caddy.DnsWire;
import fr.acecinema.switchboard.caddy.RoutedService;
import fr.acecinema.switchboard.caddy.Settings;
import fr.acecinema.switchboard.caddy.Tier;
import fr.acecinema.switchboard.caddy.Upstream;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import fr.acecinema.switchboard.reconciler.RoutingState.ServiceRoute;
import fr.acecinema.switchboard.reconciler.records.RevisionRecorder;
import fr.acecinema.switchboard.runtime.Controller;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the routing table: the one synthetic {@link Router} key stands for Switchboard's whole
 * Caddy server and the upstreams its resolver answers.
 *
 * <p>Owns: the server {@code apps.http.servers.switchboard} in Caddy (every {@code @id} starting
 * {@code switchboard-}), nothing else of Caddy's config, and the answers of the {@link
 * UpstreamResolver}. Reads (declared in {@link #controller()}): every Service, Backend and Site of
 * the store, and the {@link HealthView} (probe verdicts and the host heartbeat). Each pass plans
 * ({@link RoutePlanner}); hands the live tiers to the resolver at once (Caddy asks it every {@code
 * resolverRefresh}: health never reloads Caddy); builds the desired server ({@link
 * CaddyConfigBuilder}, which changes only with specs) and lets {@link CaddyAdmin#apply} compare its
 * shape with what Caddy runs and write only on drift. A changed shape waits for a quiet period
 * ({@code debounce}, at most {@code maxDelay}) so bursts of edits coalesce. Requeue: every {@code
 * driftCheck} (repairs a Caddy restart or a foreign reload), with backoff while Caddy is
 * unreachable. Results go to the {@link RoutingState}; it never writes a status of its own.
 */
public final class RouterReconciler implements Reconciler<Router> {
  private static final Logger log = LoggerFactory.getLogger(RouterReconciler.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final CaddyAdmin caddy;
  private final RouterSettings settings;
  private final RoutingState state;
  private final Clock clock;
  private final MeterRegistry meters;
  private final AtomicLong revisionGauge = new AtomicLong();
  private volatile UnaryOperator<ObjectNode> decorate = UnaryOperator.identity();

  // Touched only by reconcile (the runtime never runs one key twice at once); synchronized anyway.
  private final UpstreamResolver resolver;
  private final HealthView health;
  private final Counter answers;
  private Map<String, List<Tier>> answered = Map.of();
  private String lastDesired;
  private Instant changedAt;
  private Instant pendingSince;
  private String applied;
  private String rejected;
  private Instant rejectedAt;
  private Duration backoff;
  private String lastFailure;
  private volatile RevisionRecorder pushes = RevisionRecorder.NONE;

  public RouterReconciler(
      CaddyAdmin caddy,
      UpstreamResolver resolver,
      HealthView health,
      RouterSettings settings,
      RoutingState state,
      Clock clock,
      MeterRegistry meters) {
    this.caddy = caddy;
    this.resolver = resolver;
    this.health = health;
    this.answers =
        Counter.builder("switchboard.resolver.changes")
            .description("Changes of the upstreams the resolver answers (each costs no reload)")
            .register(meters);
    this.settings = settings;
    this.state = state;
    this.clock = clock;
    this.meters = meters;
    Gauge.builder("switchboard.caddy.revision", revisionGauge, AtomicLong::doubleValue)
        .description(
            "The config last pushed to Caddy: its revision (12 hex digits of its SHA-256, as in"
                + " sbctl revisions) as a number; 0 before the first push")
        .register(meters);
  }

  /**
   * Hears every configuration applied to Caddy, and every failure to apply one (once per distinct
   * failure, not at every retry): the records keep revisions, webhooks report failures.
   */
  public void onPush(RevisionRecorder listener) {
    this.pushes = listener;
  }

  private void failed(String revision, ObjectNode desired, String error) {
    String failure = revision + "\0" + error;
    if (!failure.equals(lastFailure)) {
      lastFailure = failure;
      pushes.pushed(revision, desired, error);
    }
  }

  /**
   * Test hook: transforms the desired server before it is compared and pushed (e.g. to make Caddy
   * refuse it). Identity in production.
   */
  public void decorateForTests(UnaryOperator<ObjectNode> hook) {
    this.decorate = hook == null ? UnaryOperator.identity() : hook;
  }

  /**
   * What it reads (JOSDK's {@code prepareEventSources}): every Service, Backend and Site as
   * secondaries of the one {@link Router#KEY}; a Service spec change, any Site change (a site
   * judged down, {@code TunnelUp=False}, leaves rotation in one push) and any Backend change (its
   * {@code Ready} matters) enqueue it. Health verdicts that change no status are enqueued by the
   * host heartbeat's listener.
   */
  public Controller<Router> controller() {
    Set<ResourceKey> key = Set.of(Router.KEY);
    return new Controller<>(Router.KIND, Router.class, this)
        .secondary(Service.class, (r, s) -> Set.copyOf(s.list(Service.class, "Service")))
        .secondary(Backend.class, (r, s) -> Set.copyOf(s.list(Backend.class, "Backend")))
        .secondary(Site.class, (r, s) -> Set.copyOf(s.list(Site.class, "Site")))
        .watchSpec("Service", (svc, s) -> key)
        .watch("Site", (site, s) -> key)
        .watch("Backend", (b, s) -> key);
  }

  @Override
  public synchronized UpdateControl<Router> reconcile(Router router, Context<Router> context) {
    Instant now = clock.instant();
    Collection<Backend> backends = context.getSecondaryResources(Backend.class);
    RoutePlanner.Plan plan =
        RoutePlanner.plan(
            context.getSecondaryResources(Service.class),
            backends,
            context.getSecondaryResources(Site.class),
            health::live,
            answered);
    publish(plan, backends);
    ObjectNode desired =
        decorate.apply(CaddyConfigBuilder.desired(plan.services(), settings.caddy()));
    String revision = CaddyConfigBuilder.revision(CaddyConfigBuilder.shape(desired));
    Duration next = settings.driftCheck();

    if (!revision.equals(lastDesired)) {
      lastDesired = revision;
      changedAt = now;
      if (pendingSince == null && !revision.equals(applied)) {
        pendingSince = now;
      }
    }
    if (revision.equals(applied)) {
      pendingSince = null;
    } else if (pendingSince != null) {
      Instant quietAt = changedAt.plus(settings.debounce());
      Instant deadline = pendingSince.plus(settings.maxDelay());
      Instant due = quietAt.isBefore(deadline) ? quietAt : deadline;
      if (now.isBefore(due)) {
        state.update(snapshotWith(plan));
        return UpdateControl.<Router>noUpdate()
            .rescheduleAfter(positive(Duration.between(now, due)));
      }
    }
    if (revision.equals(rejected)
        && now.isBefore(rejectedAt.plus(settings.rejectedRetry()))
        && state.current() != null
        && state.current().outcome() == Outcome.REJECTED) {
      return UpdateControl.<Router>noUpdate().rescheduleAfter(min(next, settings.rejectedRetry()));
    }

    try {
      boolean wrote = caddy.apply(Settings.SERVER_NAME, desired);
      lastFailure = null;
      if (wrote) {
        pushes.pushed(revision, desired, null);
        count("success");
        log.info(
            "pushed Caddy revision {} ({} services, {} backends live)",
            revision,
            plan.services().size(),
            plan.liveBackends().size());
      }
      applied = revision;
      pendingSince = null;
      rejected = null;
      backoff = null;
      revisionGauge.set(Long.parseLong(revision, 16));
      state.update(
          new RoutingState.Snapshot(
              wrote ? Outcome.PUSHED : Outcome.IN_SYNC,
              revision,
              null,
              routes(plan, desired, wrote)));
      return UpdateControl.<Router>noUpdate().rescheduleAfter(next);
    } catch (CaddyException.Rejected e) {
      count("rejected");
      rejected = revision;
      rejectedAt = now;
      log.warn("Caddy refused revision {}: {}", revision, e.caddyMessage());
      failed(revision, desired, e.caddyMessage());
      state.update(
          new RoutingState.Snapshot(
              Outcome.REJECTED, applied, e.caddyMessage(), routes(plan, desired, false)));
      return UpdateControl.<Router>noUpdate().rescheduleAfter(min(next, settings.rejectedRetry()));
    } catch (CaddyException.Conflict e) {
      count("conflict");
      log.info("Caddy config changed under us, retrying: {}", e.getMessage());
      return UpdateControl.<Router>noUpdate().rescheduleAfter(Duration.ofMillis(100));
    } catch (CaddyException e) {
      count("unreachable");
      backoff =
          backoff == null
              ? Duration.ofMillis(250)
              : min(backoff.multipliedBy(2), settings.unreachableBackoff());
      // Nothing is known about what Caddy runs now: the next success compares and repairs.
      applied = null;
      log.warn("{} (retrying in {} ms)", e.getMessage(), backoff.toMillis());
      failed(revision, desired, e.getMessage());
      state.update(
          new RoutingState.Snapshot(
              Outcome.UNREACHABLE, null, e.getMessage(), routes(plan, desired, false)));
      return UpdateControl.<Router>noUpdate().rescheduleAfter(backoff);
    }
  }

  /**
   * Hands the live tiers to the resolver at once (no debounce: answers cost no reload). A service
   * is answered only once every routable backend of it has a verdict of this process's own probes:
   * until then (a cold start) the resolver answers SERVFAIL and Caddy keeps routing to the static
   * upstreams it ran while Switchboard was down, never to an empty view of health.
   */
  private void publish(RoutePlanner.Plan plan, Collection<Backend> backends) {
    Map<String, List<Tier>> kept = new TreeMap<>();
    Map<String, List<DnsWire.Srv>> records = new TreeMap<>();
    Map<String, RoutedService> byName = new HashMap<>();
    plan.services().forEach(s -> byName.put(s.name(), s));
    for (Map.Entry<String, List<Tier>> e : plan.answers().entrySet()) {
      String service = e.getKey();
      if (!answered.containsKey(service) && !allKnown(service, backends, plan)) {
        continue;
      }
      List<Tier> tiers = e.getValue();
      kept.put(service, tiers);
      var policy = byName.get(service).balancing().policy();
      records.put(
          UpstreamResolver.serviceName(service, 0),
          CaddyConfigBuilder.records(tiers.get(0), policy));
      // No live next tier: the error route retries the best one rather than nothing.
      records.put(
          UpstreamResolver.serviceName(service, 1),
          CaddyConfigBuilder.records(tiers.get(tiers.size() > 1 ? 1 : 0), policy));
    }
    if (!kept.equals(answered)) {
      log.debug("resolver answers: {}", kept);
      answers.increment();
    }
    answered = Map.copyOf(kept);
    resolver.publish(records);
  }

  private boolean allKnown(String service, Collection<Backend> backends, RoutePlanner.Plan plan) {
    return backends.stream()
        .filter(b -> service.equals(b.getSpec().service))
        .filter(b -> plan.routableBackends().contains(b.getMetadata().getName()))
        .allMatch(health::known);
  }

  /** The last snapshot with this plan's upstreams (a push is pending; answers already moved). */
  private RoutingState.Snapshot snapshotWith(RoutePlanner.Plan plan) {
    RoutingState.Snapshot previous = state.current();
    if (previous == null) {
      return new RoutingState.Snapshot(Outcome.IN_SYNC, null, null, Map.of());
    }
    Map<String, ServiceRoute> out = new HashMap<>(previous.services());
    plan.answers()
        .forEach(
            (name, tiers) -> {
              ServiceRoute before = out.get(name);
              if (before != null) {
                out.put(
                    name,
                    new ServiceRoute(
                        before.revision(),
                        before.pushed(),
                        dials(tiers, 0),
                        dials(tiers, 1),
                        before.invalid()));
              }
            });
    return new RoutingState.Snapshot(
        previous.outcome(), previous.revision(), previous.error(), out);
  }

  private void count(String result) {
    Counter.builder("switchboard.caddy.pushes")
        .description("Writes of Switchboard's Caddy server (each is a full Caddy reload)")
        .tag("result", result)
        .register(meters)
        .increment();
  }

  /** Per service: its upstreams and the revision of its own routes (stable across others). */
  private Map<String, ServiceRoute> routes(
      RoutePlanner.Plan plan, ObjectNode desired, boolean wrote) {
    RoutingState.Snapshot previous = state.current();
    Map<String, ServiceRoute> out = new HashMap<>();
    for (RoutedService s : plan.services()) {
      String revision = CaddyConfigBuilder.revision(ownRoutes(desired, s.name()));
      ServiceRoute before = previous == null ? null : previous.services().get(s.name());
      boolean running =
          before != null
              && before.revision().equals(revision)
              && (previous.outcome() == Outcome.PUSHED || previous.outcome() == Outcome.IN_SYNC);
      // A route another service's change re-sent unchanged keeps the reason it had.
      boolean pushed = running ? before.pushed() : wrote;
      out.put(
          s.name(),
          new ServiceRoute(
              revision,
              pushed,
              dials(plan.answers().getOrDefault(s.name(), List.of()), 0),
              dials(plan.answers().getOrDefault(s.name(), List.of()), 1),
              null));
    }
    plan.invalid()
        .forEach(
            (name, why) -> out.put(name, new ServiceRoute("", false, List.of(), List.of(), why)));
    return out;
  }

  private static List<String> dials(List<Tier> tiers, int index) {
    return tiers.size() <= index
        ? List.of()
        : tiers.get(index).upstreams().stream().map(Upstream::dial).distinct().sorted().toList();
  }

  private static JsonNode ownRoutes(ObjectNode server, String service) {
    ArrayNode own = JSON.arrayNode();
    String route = Settings.ID_PREFIX + "route-" + service;
    String fallback = Settings.ID_PREFIX + "fallback-" + service;
    for (JsonNode r : server.path("routes")) {
      if (route.equals(r.path("@id").asText())) {
        own.add(r);
      }
    }
    for (JsonNode r : server.path("errors").path("routes")) {
      if (fallback.equals(r.path("@id").asText())) {
        own.add(r);
      }
    }
    return own;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration positive(Duration d) {
    return d.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : d;
  }
}
