package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.testing.Fleet.backend;
import static fr.acecinema.switchboard.testing.Fleet.nextGeneration;
import static fr.acecinema.switchboard.testing.Fleet.service;
import static fr.acecinema.switchboard.testing.Fleet.site;
import static fr.acecinema.switchboard.testing.Fleet.withHealth;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceStatus;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.caddy.CaddyException;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import fr.acecinema.switchboard.testing.FakeCaddy;
import fr.acecinema.switchboard.testing.MutableClock;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import fr.acecinema.switchboard.testing.ReconcilerHarness.Reconciled;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router alone, against a fake Caddy and a controllable clock: what it pushes and when
 * (debounce, drift, backoff), and what it reports in the {@link RoutingState}.
 */
class RouterReconcilerTest {
  private static final RouterSettings SETTINGS =
      RouterSettings.caddy("http://127.0.0.1:2019", List.of("127.0.0.1:8080"), false);
  private static final Duration DEBOUNCE = SETTINGS.debounce();
  private static final Duration DRIFT_CHECK = SETTINGS.driftCheck();

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  private final FakeCaddy caddy = new FakeCaddy();
  private final RoutingState state = new RoutingState();
  private UpstreamResolver resolver;
  private ReconcilerHarness<Router> harness;

  @BeforeEach
  void start() throws IOException {
    resolver = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0));
    harness =
        ReconcilerHarness.of(
            new RouterReconciler(
                    caddy,
                    resolver,
                    HealthView.fromStatus(),
                    SETTINGS,
                    state,
                    clock,
                    new SimpleMeterRegistry())
                .controller());
    harness.put(
        site("dijon", "10.0.0.0/24"),
        service("api", "api.test"),
        withHealth(backend("a", "api", "dijon", "10.0.0.2", 8080), true, true, null));
  }

  @AfterEach
  void stop() {
    resolver.close();
  }

  private Reconciled<Router> pass() {
    return harness.reconcile(Router.instance());
  }

  /** The first pass waits out the debounce; the second pushes. */
  private Reconciled<Router> pushed() {
    pass();
    clock.advance(DEBOUNCE);
    Reconciled<Router> r = pass();
    assertThat(state.current().outcome()).isEqualTo(Outcome.PUSHED);
    return r;
  }

  private String routed() {
    var c = state.routed("api").condition();
    return c.status + "/" + c.reason;
  }

  /** A spec edit of the service that changes its route (hence Caddy's config). */
  private void editHost(String host) {
    Service api =
        ReconcilerHarness.copy(harness.store().get(Service.class, "Service", "api").get());
    api.getSpec().hosts = List.of(host);
    harness.put(nextGeneration(api));
  }

  @Test
  void aNewConfigWaitsForTheDebounceButItsAnswersGoToTheResolverAtOnce() {
    Reconciled<Router> r = pass();

    assertThat(r.rescheduleAfter()).contains(DEBOUNCE);
    assertThat(caddy.calls()).isZero();
    assertThat(resolver.published()).containsKey(UpstreamResolver.serviceName("api", 0));
    assertThat(routed()).isEqualTo("Unknown/RoutingPending");
    assertThat(r.statusPatched()).as("the router keeps no status").isFalse();
  }

  @Test
  void pushesOnceQuietAndChecksForDriftPeriodically() {
    Reconciled<Router> r = pushed();

    assertThat(caddy.writes()).isEqualTo(1);
    assertThat(r.rescheduleAfter()).contains(DRIFT_CHECK);
    assertThat(routed()).isEqualTo("True/Pushed");
    assertThat(state.routed("api").condition().message).contains("10.0.0.2:8080");
  }

  @Test
  void writesNothingWhenCaddyAlreadyRunsTheConfig() {
    pushed();
    clock.advance(DRIFT_CHECK);

    Reconciled<Router> r = pass();

    assertThat(caddy.calls()).isEqualTo(2);
    assertThat(caddy.writes()).isEqualTo(1);
    assertThat(state.current().outcome()).isEqualTo(Outcome.IN_SYNC);
    assertThat(routed()).as("a route re-sent unchanged keeps its reason").isEqualTo("True/Pushed");
    assertThat(r.rescheduleAfter()).contains(DRIFT_CHECK);
  }

  @Test
  void repairsACaddyThatLostItsConfigAtTheNextDriftCheck() {
    pushed();
    caddy.forget();
    clock.advance(DRIFT_CHECK);

    pass();

    assertThat(caddy.writes()).isEqualTo(2);
    assertThat(state.current().outcome()).isEqualTo(Outcome.PUSHED);
  }

  @Test
  void aBurstOfEditsBecomesOnePushOnceQuiet() {
    pushed();
    for (int i = 0; i < 5; i++) {
      clock.advance(DEBOUNCE.dividedBy(2));
      editHost("api" + i + ".test");
      assertThat(pass().rescheduleAfter()).contains(DEBOUNCE);
    }
    assertThat(caddy.writes()).isEqualTo(1);

    clock.advance(DEBOUNCE);
    pass();

    assertThat(caddy.writes()).isEqualTo(2);
    assertThat(caddy.running().toString()).contains("api4.test").doesNotContain("api3.test");
  }

  @Test
  void aContinuousBurstIsPushedAtTheLatestAfterMaxDelay() {
    pushed();
    Instant first = clock.instant();
    editHost("first.test");
    pass();
    int edits = 0;
    while (caddy.writes() == 1) {
      assertThat(clock.instant()).isBefore(first.plus(SETTINGS.maxDelay()).plusMillis(1));
      clock.advance(DEBOUNCE.dividedBy(2));
      editHost("api" + edits++ + ".test");
      pass();
    }
    assertThat(clock.instant()).isEqualTo(first.plus(SETTINGS.maxDelay()));
  }

  @Test
  void anUnreachableCaddyIsRetriedWithBackoffAndReportedOnEveryService() {
    pass();
    clock.advance(DEBOUNCE);
    caddy.failWith(new CaddyException.Unreachable("http://127.0.0.1:2019", new IOException("no")));
    List<Duration> delays = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      delays.add(pass().rescheduleAfter().orElseThrow());
    }

    assertThat(delays)
        .containsExactly(
            Duration.ofMillis(250),
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            SETTINGS.unreachableBackoff(),
            SETTINGS.unreachableBackoff());
    assertThat(state.current().outcome()).isEqualTo(Outcome.UNREACHABLE);
    assertThat(routed()).isEqualTo("False/CaddyUnreachable");

    caddy.recover();
    Reconciled<Router> back = pass();

    assertThat(caddy.writes()).isEqualTo(1);
    assertThat(routed()).isEqualTo("True/Pushed");
    assertThat(back.rescheduleAfter()).contains(DRIFT_CHECK);
  }

  @Test
  void aRejectedConfigIsNotResentUntilItChangesOrTheRetryPeriodPasses() {
    pass();
    clock.advance(DEBOUNCE);
    caddy.failWith(new CaddyException.Rejected(400, "json: unknown field \"bogus\""));

    Reconciled<Router> r = pass();

    assertThat(routed()).isEqualTo("False/CaddyRejected");
    assertThat(state.routed("api").condition().message).contains("unknown field");
    assertThat(r.rescheduleAfter()).contains(DRIFT_CHECK);
    clock.advance(DRIFT_CHECK);
    pass();
    assertThat(caddy.calls()).as("the same config within rejectedRetry").isEqualTo(1);

    clock.advance(SETTINGS.rejectedRetry());
    pass();
    assertThat(caddy.calls()).isEqualTo(2);
  }

  @Test
  void aServiceWithoutARoutableBackendIsRoutedToA503() {
    // Not routable: a site in maintenance takes no traffic (an unhealthy backend would still be
    // answered the first time: no verdict ever blacks a service out).
    Site dijon = site("dijon", "10.0.0.0/24");
    dijon.getSpec().maintenance = true;
    harness.put(dijon);

    pushed();

    assertThat(routed()).isEqualTo("False/NoReadyBackends");
  }

  @Test
  void serviceSpecAndAnyBackendOrSiteChangeEnqueueTheRouter() {
    Service api = harness.store().get(Service.class, "Service", "api").orElseThrow();
    Service apiStatusOnly = ReconcilerHarness.copy(api);
    apiStatusOnly.setStatus(new ServiceStatus());
    Site dijon = harness.store().get(Site.class, "Site", "dijon").orElseThrow();
    Site dijonStatusOnly = ReconcilerHarness.copy(dijon);
    dijonStatusOnly.setStatus(new SiteStatus());
    Backend a = harness.store().get(Backend.class, "Backend", "a").orElseThrow();
    Set<ResourceKey> router = Set.of(Router.KEY);

    assertThat(harness.enqueuedBy(api, nextGeneration(ReconcilerHarness.copy(api))))
        .isEqualTo(router);
    assertThat(harness.enqueuedBy(api, apiStatusOnly)).as("a Service status change").isEmpty();
    assertThat(harness.enqueuedBy(dijon, dijonStatusOnly))
        .as("a Site status change")
        .isEqualTo(router);
    assertThat(harness.enqueuedBy(a, withHealth(ReconcilerHarness.copy(a), false, false, null)))
        .as("a Backend status change")
        .isEqualTo(router);
    assertThat(harness.enqueuedBy(null, service("web", "web.test"))).isEqualTo(router);
    assertThat(harness.enqueuedBy(a, null)).isEqualTo(router);
  }
}
