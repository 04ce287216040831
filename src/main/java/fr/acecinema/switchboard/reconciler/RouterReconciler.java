package fr.acecinema.switchboard.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.caddy.CaddyAdminClient;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.CaddyException;
import fr.acecinema.switchboard.caddy.RoutedService;
import fr.acecinema.switchboard.caddy.Settings;
import fr.acecinema.switchboard.caddy.Tier;
import fr.acecinema.switchboard.caddy.Upstream;
import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import fr.acecinema.switchboard.reconciler.RoutingState.ServiceRoute;
import fr.acecinema.switchboard.reconciler.records.RevisionRecorder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the routing table: the one synthetic {@link Router} key stands for Switchboard's whole
 * Caddy server.
 *
 * <p>Owns: the server {@code apps.http.servers.switchboard} in Caddy (every {@code @id} starting
 * {@code switchboard-}), nothing else of Caddy's config. Reads: every Service, Backend and Site of
 * the store. Each pass plans the routes ({@link RoutePlanner}), builds the desired server ({@link
 * CaddyConfigBuilder}) and lets {@link CaddyAdminClient#apply} compare it with what Caddy runs and
 * write only on drift. A changed desired config waits for a quiet period ({@code debounce}, at most
 * {@code maxDelay}) so bursts of edits coalesce; health failures inside a tier are held ({@link
 * RoutePlanner}). Requeue: every {@code driftCheck} (repairs a Caddy restart or a foreign reload),
 * sooner when a held backend's delay expires, with backoff while Caddy is unreachable. Results go
 * to the {@link RoutingState}; it never writes a status of its own.
 */
public final class RouterReconciler implements Reconciler<Router> {
  private static final Logger log = LoggerFactory.getLogger(RouterReconciler.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final CaddyAdminClient caddy;
  private final RouterSettings settings;
  private final RoutingState state;
  private final Clock clock;
  private final MeterRegistry meters;
  private final AtomicLong revisionGauge = new AtomicLong();
  private volatile UnaryOperator<ObjectNode> decorate = UnaryOperator.identity();

  // Touched only by reconcile (the runtime never runs one key twice at once); synchronized anyway.
  private Set<String> routedBefore = Set.of();
  private Map<String, Instant> unreadySince = Map.of();
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
      CaddyAdminClient caddy,
      RouterSettings settings,
      RoutingState state,
      Clock clock,
      MeterRegistry meters) {
    this.caddy = caddy;
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

  @Override
  public synchronized UpdateControl<Router> reconcile(Router router, Context<Router> context) {
    Instant now = clock.instant();
    RoutePlanner.Plan plan =
        RoutePlanner.plan(
            context.getSecondaryResources(Service.class),
            context.getSecondaryResources(Backend.class),
            context.getSecondaryResources(Site.class),
            routedBefore,
            unreadySince,
            now,
            settings.removalDelay(),
            RoutePlanner::healthy);
    unreadySince = plan.unreadySince();
    ObjectNode desired =
        decorate.apply(CaddyConfigBuilder.desired(plan.services(), settings.caddy()));
    String revision = CaddyConfigBuilder.revision(desired);
    Duration next = settings.driftCheck();
    if (plan.nextChange().isPresent()) {
      next = min(next, positive(Duration.between(now, plan.nextChange().get())));
    }

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
            "pushed Caddy revision {} ({} services, {} backends routed)",
            revision,
            plan.services().size(),
            plan.routedBackends().size());
      }
      applied = revision;
      pendingSince = null;
      rejected = null;
      backoff = null;
      routedBefore = plan.routedBackends();
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
          new ServiceRoute(revision, pushed, dials(s.tiers(), 0), dials(s.tiers(), 1), null));
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
