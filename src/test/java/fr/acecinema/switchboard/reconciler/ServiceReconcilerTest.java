package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.testing.Fleet.backend;
import static fr.acecinema.switchboard.testing.Fleet.service;
import static fr.acecinema.switchboard.testing.Fleet.withHealth;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import fr.acecinema.switchboard.reconciler.RoutingState.ServiceRoute;
import fr.acecinema.switchboard.testing.MutableClock;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import fr.acecinema.switchboard.testing.ReconcilerHarness.Reconciled;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Service reconciler alone: endpoint counts, Ready, and Routed copied from the router. */
class ServiceReconcilerTest {
  private static final ResourceKey API = new ResourceKey("Service", "api");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  private final RoutingState routing = new RoutingState();
  private final ReconcilerHarness<Service> harness =
      ReconcilerHarness.of(new ServiceReconciler(clock, routing).controller());

  private static Backend ready(String name, String site, boolean ready) {
    return withHealth(backend(name, "api", site, "10.0.0.1", 80), ready, ready, null);
  }

  private Reconciled<Service> reconcileApi() {
    harness.put(service("api", "api.test"));
    return harness.reconcile("api");
  }

  private static ServiceRoute route(String revision, boolean pushed, List<String> upstreams) {
    return new ServiceRoute(revision, pushed, upstreams, List.of(), null);
  }

  @Test
  void countsReadyEndpointsPerSiteAndIsReadyWithOne() {
    harness.put(ready("a", "dijon", true), ready("b", "dijon", false), ready("c", "thory", false));

    Reconciled<Service> r = reconcileApi();

    assertThat(r.state("Accepted")).isEqualTo("True/Valid");
    assertThat(r.state("Ready")).isEqualTo("True/BackendsReady");
    assertThat(r.condition("Ready").message)
        .isEqualTo("1 of 3 backends ready (dijon 1/2, thory 0/1)");
    assertThat(r.resource().getStatus().readyEndpoints).isEqualTo(1);
    assertThat(r.resource().getStatus().totalEndpoints).isEqualTo(3);
    assertThat(r.resource().getStatus().endpoints)
        .extracting(e -> e.site + " " + e.ready + "/" + e.total)
        .containsExactly("dijon 1/2", "thory 0/1");
    assertThat(r.statusPatched()).isTrue();
    assertThat(r.rescheduleAfter()).as("no requeue of its own").isEmpty();
  }

  @Test
  void isNotReadyWhenNoBackendIs() {
    harness.put(ready("a", "dijon", false));

    assertThat(reconcileApi().state("Ready")).isEqualTo("False/NoReadyBackends");
  }

  @Test
  void isNotReadyWithoutBackends() {
    Reconciled<Service> r = reconcileApi();

    assertThat(r.state("Ready")).isEqualTo("False/NoBackends");
    assertThat(r.condition("Ready").message).isEqualTo("no Backend declares spec.service: api");
  }

  @Test
  void withoutRoutingItHasNoRoutedCondition() {
    ReconcilerHarness<Service> unrouted =
        new ReconcilerHarness<>(new ServiceReconciler(clock).controller(), harness.store());
    harness.put(service("api", "api.test"));

    assertThat(unrouted.reconcile("api").conditionOf("Routed")).isEmpty();
  }

  @Test
  void isRoutingPendingUntilTheRoutersFirstPass() {
    assertThat(reconcileApi().state("Routed")).isEqualTo("Unknown/RoutingPending");
  }

  @Test
  void copiesAPushFromTheRoutingStateWithItsRevision() {
    routing.update(
        new RoutingState.Snapshot(
            Outcome.PUSHED, "abc", null, Map.of("api", route("0123456789ab", true, List.of("a")))));

    Reconciled<Service> r = reconcileApi();

    assertThat(r.state("Routed")).isEqualTo("True/Pushed");
    assertThat(r.resource().getStatus().routedRevision).isEqualTo("0123456789ab");
  }

  @Test
  void routesCaddyAlreadyRanAreInSync() {
    routing.update(
        new RoutingState.Snapshot(
            Outcome.IN_SYNC,
            "abc",
            null,
            Map.of("api", route("0123456789ab", false, List.of("a")))));

    assertThat(reconcileApi().state("Routed")).isEqualTo("True/InSync");
  }

  @Test
  void anUnreachableCaddyMakesItNotRouted() {
    routing.update(
        new RoutingState.Snapshot(Outcome.UNREACHABLE, null, "connection refused", Map.of()));

    Reconciled<Service> r = reconcileApi();

    assertThat(r.state("Routed")).isEqualTo("False/CaddyUnreachable");
    assertThat(r.condition("Routed").message).isEqualTo("connection refused");
  }

  @Test
  void aRoutedConditionWrittenBeforeARestartStandsUntilTheRoutersFirstPass() {
    routing.update(
        new RoutingState.Snapshot(
            Outcome.PUSHED, "abc", null, Map.of("api", route("0123456789ab", true, List.of("a")))));
    reconcileApi();
    // A restart: the router has not run yet, the stored status says Routed True.
    RoutingState fresh = new RoutingState();
    ReconcilerHarness<Service> restarted =
        new ReconcilerHarness<>(new ServiceReconciler(clock, fresh).controller(), harness.store());

    Reconciled<Service> r = restarted.reconcile("api");

    assertThat(r.state("Routed")).isEqualTo("True/Pushed");
    assertThat(r.resource().getStatus().routedRevision).isEqualTo("0123456789ab");
  }

  @Test
  void anyChangeOfABackendEnqueuesItsServiceAndAMoveEnqueuesBoth() {
    Backend a = ready("a", "dijon", false);
    Backend becameReady = withHealth(ReconcilerHarness.copy(a), true, true, null);
    Backend moved = ReconcilerHarness.copy(a);
    moved.getSpec().service = "web";

    assertThat(harness.enqueuedBy(null, a)).containsExactly(API);
    assertThat(harness.enqueuedBy(a, becameReady)).as("a status change").containsExactly(API);
    assertThat(harness.enqueuedBy(a, null)).containsExactly(API);
    assertThat(harness.enqueuedBy(a, moved))
        .containsExactlyInAnyOrder(API, new ResourceKey("Service", "web"));
  }
}
