package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.testing.Fleet.backend;
import static fr.acecinema.switchboard.testing.Fleet.nextGeneration;
import static fr.acecinema.switchboard.testing.Fleet.service;
import static fr.acecinema.switchboard.testing.Fleet.site;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.ProbeTarget;
import fr.acecinema.switchboard.probe.Prober;
import fr.acecinema.switchboard.probe.TestBackend;
import fr.acecinema.switchboard.probe.TestBackend.Answer;
import fr.acecinema.switchboard.testing.MutableClock;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import fr.acecinema.switchboard.testing.ReconcilerHarness.Reconciled;
import java.time.Duration;
import java.time.Instant;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Backend reconciler alone: its conditions and reasons, and its one action, the backend's probe
 * loop in a real {@link ProbeScheduler} probing a real local HTTP backend.
 */
class BackendReconcilerTest {
  private static final OkHttpClient HTTP = new OkHttpClient();
  private static final ResourceKey KEY = new ResourceKey("Backend", "api-dijon");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  private TestBackend http;
  private ProbeScheduler probes;
  private HostHeartbeat heartbeat;
  private ReconcilerHarness<Backend> harness;

  @BeforeEach
  void start() throws Exception {
    http = TestBackend.start("127.0.0.2");
    probes = new ProbeScheduler(new Prober(HTTP), (key, snapshot, changed) -> {});
    // Never started: no verdict of its own unless a test starts it.
    heartbeat = new HostHeartbeat(Duration.ofMillis(50), Duration.ofMillis(50), 2, (h, b, a) -> {});
    harness =
        ReconcilerHarness.of(
            new BackendReconciler(probes, heartbeat, clock, Duration.ofSeconds(30)).controller());
    harness.put(site("dijon", "127.0.0.0/24"), fastChecked(service("api", "api.test")));
  }

  @AfterEach
  void stop() {
    probes.close();
    heartbeat.close();
    http.close();
  }

  @AfterAll
  static void closeClient() {
    HTTP.dispatcher().executorService().shutdown();
    HTTP.connectionPool().evictAll();
  }

  /** Probed every 50 ms, judged by one probe: tests wait for a verdict, not for thresholds. */
  private static Service fastChecked(Service service) {
    service.getSpec().healthCheck = new HealthCheck();
    service.getSpec().healthCheck.interval = "50ms";
    service.getSpec().healthCheck.healthyThreshold = 1;
    service.getSpec().healthCheck.unhealthyThreshold = 1;
    return service;
  }

  private Backend ours() {
    return backend("api-dijon", "api", "dijon", http.address(), http.port());
  }

  private Reconciled<Backend> reconcileOnce(Backend backend) {
    harness.put(backend);
    return harness.reconcile(backend.getMetadata().getName());
  }

  private Reconciled<Backend> reconcileWhen(State state) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> probes.snapshot(KEY).map(s -> s.state() == state).orElse(false));
    return harness.reconcile(KEY.name());
  }

  @Test
  void anAcceptedBackendGetsAProbeLoopOnItsAddressAndIsPendingUntilTheFirstProbe() {
    Reconciled<Backend> r = reconcileOnce(ours());

    assertThat(r.state("Accepted")).isEqualTo("True/Valid");
    assertThat(r.state("Healthy")).isEqualTo("Unknown/ProbePending");
    assertThat(r.condition("Healthy").message)
        .isEqualTo("GET http://" + http.address() + ":" + http.port() + "/health not probed yet");
    assertThat(r.state("Ready")).isEqualTo("False/ProbePending");
    assertThat(r.statusPatched()).isTrue();
    assertThat(r.rescheduleAfter()).as("no requeue of its own").isEmpty();
    assertThat(probes.target(KEY).orElseThrow())
        .extracting(ProbeTarget::address, ProbeTarget::port)
        .containsExactly(http.address(), http.port());
  }

  @Test
  void aPassingProbeMakesItHealthyAndServing() {
    reconcileOnce(ours());

    Reconciled<Backend> r = reconcileWhen(State.Healthy);

    assertThat(r.state("Healthy")).isEqualTo("True/ProbeSucceeded");
    assertThat(r.state("Ready")).isEqualTo("True/Serving");
    assertThat(r.resource().getStatus().health.state).isEqualTo(State.Healthy);
  }

  @Test
  void aFailingProbeMakesItUnhealthyAndNotReadyForTheSameReason() {
    http.answer(Answer.status(503));
    reconcileOnce(ours());

    Reconciled<Backend> r = reconcileWhen(State.Unhealthy);

    assertThat(r.state("Healthy")).isEqualTo("False/ProbeFailed");
    assertThat(r.condition("Healthy").message).contains("fails");
    assertThat(r.state("Ready")).isEqualTo("False/ProbeFailed");
  }

  @Test
  void aDrainedBackendStaysProbedAndHealthyButIsNotReady() {
    Backend drained = ours();
    drained.getSpec().drain = true;
    reconcileOnce(drained);

    Reconciled<Backend> r = reconcileWhen(State.Healthy);

    assertThat(r.state("Healthy")).isEqualTo("True/ProbeSucceeded");
    assertThat(r.state("Ready")).isEqualTo("False/Draining");
  }

  @Test
  void aBackendOfASiteInMaintenanceStaysProbedButIsNotReady() {
    Site site = site("dijon", "127.0.0.0/24");
    site.getSpec().maintenance = true;
    harness.put(site);
    reconcileOnce(ours());

    Reconciled<Backend> r = reconcileWhen(State.Healthy);

    assertThat(r.state("Healthy")).isEqualTo("True/ProbeSucceeded");
    assertThat(r.state("Ready")).isEqualTo("False/SiteMaintenance");
    assertThat(r.condition("Ready").message).isEqualTo("site dijon is in maintenance");
  }

  @Test
  void aPortThatRefusesTheHeartbeatTakesItOutOfRotation() throws Exception {
    int closed = TestBackend.closedPort("127.0.0.2");
    heartbeat.start();
    Backend refused = backend("api-dijon", "api", "dijon", "127.0.0.2", closed);

    reconcileOnce(refused);
    await().atMost(Duration.ofSeconds(5)).until(() -> heartbeat.refused("127.0.0.2", closed));
    Reconciled<Backend> r = harness.reconcile(KEY.name());

    assertThat(r.state("Ready")).isEqualTo("False/PortClosed");
    assertThat(r.condition("Ready").message).contains("refuses connections (heartbeat)");
  }

  /**
   * Reconciles {@code backend} and checks what every rejection shares: Accepted False, Healthy
   * Unknown and Ready False for the same reason, and no probe loop.
   */
  private Reconciled<Backend> rejected(Backend backend, String reason) {
    Reconciled<Backend> r = reconcileOnce(backend);
    assertThat(r.state("Accepted")).isEqualTo("False/" + reason);
    assertThat(r.state("Healthy")).isEqualTo("Unknown/" + reason);
    assertThat(r.state("Ready")).isEqualTo("False/" + reason);
    assertThat(r.resource().getStatus().health).isNull();
    assertThat(probes.keys()).isEmpty();
    return r;
  }

  @Test
  void aMissingSiteRejectsItAndNothingIsProbed() {
    Backend lost = ours();
    lost.getSpec().site = "nowhere";

    assertThat(rejected(lost, "SiteNotFound").condition("Accepted").message)
        .contains("no Site named 'nowhere'");
  }

  @Test
  void aMissingServiceRejectsItAndNothingIsProbed() {
    Backend lost = ours();
    lost.getSpec().service = "nothing";

    assertThat(rejected(lost, "ServiceNotFound").condition("Accepted").message)
        .contains("no Service named 'nothing'");
  }

  @Test
  void anAddressOutsideItsSitesSubnetIsNeverProbed() {
    Backend outside = backend("api-dijon", "api", "dijon", "192.0.2.10", 80);

    assertThat(rejected(outside, "AddressOutsideSubnet").condition("Accepted").message)
        .contains("outside site dijon's subnet");
  }

  @Test
  void aHealthCheckThatDoesNotResolveIsAnInvalidSpec() {
    Backend bad = ours();
    bad.getSpec().healthCheck = new HealthCheck();
    bad.getSpec().healthCheck.interval = "soon";

    assertThat(rejected(bad, "InvalidSpec").condition("Accepted").message)
        .startsWith("health check: ");
  }

  @Test
  void losingItsSiteStopsTheProbeLoopItHad() {
    reconcileOnce(ours());
    assertThat(probes.keys()).containsExactly(KEY);

    harness.store().remove(new ResourceKey("Site", "dijon"));
    Reconciled<Backend> r = harness.reconcile(KEY.name());

    assertThat(r.state("Accepted")).isEqualTo("False/SiteNotFound");
    assertThat(probes.keys()).isEmpty();
  }

  @Test
  void aNewPortRetargetsTheProbeLoop() throws Exception {
    reconcileOnce(ours());
    try (TestBackend moved = TestBackend.start("127.0.0.2")) {
      Backend edited = nextGeneration(ours());
      edited.getSpec().port = moved.port();

      reconcileOnce(edited);

      assertThat(probes.target(KEY).orElseThrow().port()).isEqualTo(moved.port());
      await().atMost(Duration.ofSeconds(5)).until(() -> moved.requests("/health") > 0);
    }
  }

  @Test
  void cleanupStopsTheProbeLoopAndLetsTheDeletionComplete() {
    reconcileOnce(ours());

    var cleaned = harness.remove(KEY.name());

    assertThat(cleaned.tombstoneRemoved()).isTrue();
    assertThat(probes.keys()).isEmpty();
    assertThat(probes.target(KEY)).isEmpty();
  }

  @Test
  void aStatusWrittenForTheSameSpecIsAdoptedUntilThisProcessProbes() {
    reconcileOnce(ours());
    Backend written = reconcileWhen(State.Healthy).resource();
    // A restart: a new scheduler knows nothing yet, the stored status says Healthy.
    probes.close();
    probes = new ProbeScheduler(new Prober(HTTP), (key, snapshot, changed) -> {});
    harness =
        new ReconcilerHarness<>(
            new BackendReconciler(probes, heartbeat, clock, Duration.ofSeconds(30)).controller(),
            harness.store());
    http.answer(Answer.hanging());

    Reconciled<Backend> r = harness.reconcile(KEY.name());

    assertThat(r.state("Healthy")).isEqualTo("True/ProbeSucceeded");
    assertThat(r.condition("Healthy").lastTransitionTime)
        .isEqualTo(written.getStatus().condition("Healthy").orElseThrow().lastTransitionTime);
    assertThat(r.state("Ready")).isEqualTo("True/Serving");
  }

  @Test
  void aSiteOrServiceSpecChangeEnqueuesItsBackendsButAStatusChangeDoesNot() {
    harness.put(ours(), backend("api-thory", "api", "thory", "127.0.1.2", 80));
    Site before = harness.store().get(Site.class, "Site", "dijon").orElseThrow();
    Site edited = nextGeneration(ReconcilerHarness.copy(before));
    Site statusOnly = ReconcilerHarness.copy(before);
    statusOnly.setStatus(new fr.acecinema.switchboard.api.v1alpha1.SiteStatus());
    Service api = harness.store().get(Service.class, "Service", "api").orElseThrow();

    assertThat(harness.enqueuedBy(before, edited)).containsExactly(KEY);
    assertThat(harness.enqueuedBy(before, statusOnly)).isEmpty();
    assertThat(harness.enqueuedBy(api, nextGeneration(ReconcilerHarness.copy(api))))
        .containsExactlyInAnyOrder(KEY, new ResourceKey("Backend", "api-thory"));
    assertThat(harness.enqueuedBy(null, site("thory", "127.0.1.0/24")))
        .containsExactly(new ResourceKey("Backend", "api-thory"));
  }
}
