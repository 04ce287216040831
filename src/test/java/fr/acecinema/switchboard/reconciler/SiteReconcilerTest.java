package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.testing.Fleet.backend;
import static fr.acecinema.switchboard.testing.Fleet.withHealth;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.WireGuardPeer;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.testing.Fleet;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import fr.acecinema.switchboard.testing.ReconcilerHarness.Reconciled;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.WgDump;
import fr.acecinema.switchboard.wireguard.WireGuardException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The Site reconciler alone, through its own controller over an in-memory store. */
class SiteReconcilerTest {
  private static final ResourceKey DIJON = new ResourceKey("Site", "dijon");
  private static final String KEY = "dsTpCjTdzlkG8qfwNboe/7SdRsHMoxgZKteJkRQlulo=";
  private static final long HANDSHAKE = 1795254177;
  private final Clock clock = Clock.fixed(Instant.ofEpochSecond(HANDSHAKE + 10), ZoneOffset.UTC);
  private final AtomicReference<String> dump = new AtomicReference<>(dump(HANDSHAKE));
  private final TunnelMonitor monitor =
      new TunnelMonitor(
          iface -> {
            if (dump.get() == null) {
              throw new WireGuardException("wg: command not found");
            }
            return WgDump.parse(dump.get());
          },
          clock,
          Duration.ofSeconds(1),
          (site, verdict) -> {});

  private static String dump(long handshake) {
    return "priv\tpub\t51820\toff\n"
        + KEY
        + "\t(none)\t192.168.77.2:51820\t10.200.0.0/24\t"
        + handshake
        + "\t180\t272\t5\n";
  }

  private static Site site(boolean withPeer) {
    Site site = Fleet.site("dijon", "10.200.0.0/24");
    if (withPeer) {
      WireGuardPeer peer = new WireGuardPeer();
      peer.interfaceName = "sbtbwg-hub";
      peer.publicKey = KEY;
      site.getSpec().wireguard = peer;
    }
    return site;
  }

  private static Backend healthyBackend(String name) {
    return withHealth(backend(name, "api", "dijon", "10.200.0.10", 8080), true, true, null);
  }

  private final ReconcilerHarness<Site> harness =
      ReconcilerHarness.of(new SiteReconciler(clock, monitor, null).controller());

  /** Reconciles {@code site} with two healthy backends. */
  private Site reconcile(Site site) {
    harness.put(healthyBackend("a"), healthyBackend("b"));
    return reconcileAlone(site).resource();
  }

  /** Reconciles {@code site} with the backends already stored. */
  private Reconciled<Site> reconcileAlone(Site site) {
    harness.put(site);
    return harness.reconcile("dijon");
  }

  private static Condition condition(Site site, String type) {
    return site.getStatus().condition(type).orElseThrow();
  }

  @Test
  void aRecentHandshakeKeepsTheSiteReadyAndRecordsTheCounters() {
    Site site = reconcile(site(true));

    assertThat(condition(site, "TunnelUp").status).isEqualTo("True");
    assertThat(condition(site, "TunnelUp").reason).isEqualTo("HandshakeRecent");
    assertThat(condition(site, "Ready").status).isEqualTo("True");
    assertThat(site.getStatus().tunnel.latestHandshake)
        .isEqualTo(Instant.ofEpochSecond(HANDSHAKE).toString());
    assertThat(site.getStatus().tunnel.rxBytes).isEqualTo(180);
    assertThat(site.getStatus().tunnel.txBytes).isEqualTo(272);
  }

  @Test
  void aStaleTunnelTakesTheWholeSiteOutAlthoughItsBackendsLookHealthy() {
    dump.set(dump(HANDSHAKE - 300));

    Site site = reconcile(site(true));

    assertThat(condition(site, "TunnelUp").status).isEqualTo("False");
    assertThat(condition(site, "TunnelUp").reason).isEqualTo("HandshakeStale");
    assertThat(condition(site, "Ready").status).isEqualTo("False");
    assertThat(condition(site, "Ready").reason).isEqualTo("TunnelDown");
    assertThat(condition(site, "Ready").message).contains("all 2 backends leave rotation");
  }

  @Test
  void anUnreadableWgIsUnknownAndDoesNotTakeTheSiteDown() {
    dump.set(null);

    Site site = reconcile(site(true));

    assertThat(condition(site, "TunnelUp").status).isEqualTo("Unknown");
    assertThat(condition(site, "TunnelUp").reason).isEqualTo("WgUnavailable");
    assertThat(condition(site, "Ready").status).isEqualTo("True");
  }

  @Test
  void removingThePeerRemovesTunnelUpAndTheTunnelStatus() {
    Site site = reconcile(site(true));
    site.setSpec(site(false).getSpec());

    Site again = reconcile(site);

    assertThat(again.getStatus().condition("TunnelUp")).isEmpty();
    assertThat(again.getStatus().tunnel).isNull();
  }

  @Test
  void aSiteWithoutPeerHasNoTunnelCondition() {
    Site site = reconcile(site(false));

    assertThat(site.getStatus().condition("TunnelUp")).isEmpty();
    assertThat(condition(site, "Ready").status).isEqualTo("True");
  }

  @Test
  void aSiteWithHealthyBackendsIsReadyAndCountsThem() {
    harness.put(
        healthyBackend("a"),
        withHealth(backend("b", "api", "dijon", "10.200.0.11", 8080), false, false, null));

    Reconciled<Site> r = reconcileAlone(site(false));

    assertThat(r.state("Accepted")).isEqualTo("True/Valid");
    assertThat(r.state("Ready")).isEqualTo("True/BackendsReady");
    assertThat(r.condition("Ready").message).isEqualTo("1 of 2 backends healthy");
    assertThat(r.resource().getStatus().backends.healthy).isEqualTo(1);
    assertThat(r.resource().getStatus().backends.total).isEqualTo(2);
    assertThat(r.statusPatched()).isTrue();
    assertThat(r.rescheduleAfter()).as("no requeue of its own").isEmpty();
  }

  @Test
  void aSiteInMaintenanceIsNotReadyWhateverItsBackendsSay() {
    Site site = site(false);
    site.getSpec().maintenance = true;
    harness.put(healthyBackend("a"));

    Reconciled<Site> r = reconcileAlone(site);

    assertThat(r.state("Ready")).isEqualTo("False/SiteMaintenance");
    assertThat(r.condition("Ready").message).contains("(1/1 healthy)");
  }

  @Test
  void aSiteWithoutBackendsIsNotReady() {
    Reconciled<Site> r = reconcileAlone(site(false));

    assertThat(r.state("Ready")).isEqualTo("False/NoBackends");
  }

  @Test
  void aSiteWhoseBackendsAllFailIsNotReady() {
    harness.put(withHealth(backend("a", "api", "dijon", "10.200.0.10", 80), false, false, null));

    Reconciled<Site> r = reconcileAlone(site(false));

    assertThat(r.state("Ready")).isEqualTo("False/NoHealthyBackends");
    assertThat(r.condition("Ready").message).isEqualTo("none of 1 backends is healthy");
  }

  @Test
  void aSiteWhoseEveryBackendLostItsHostToTheHeartbeatIsUnreachable() throws Exception {
    try (HostHeartbeat heartbeat =
        new HostHeartbeat(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, (h, b, a) -> {})) {
      ReconcilerHarness<Site> withHeartbeat =
          new ReconcilerHarness<>(
              new SiteReconciler(clock, null, heartbeat).controller(), harness.store());
      // Healthy by their last probes, but their statuses say the heartbeat took them out.
      harness.put(
          withHealth(
              backend("a", "api", "dijon", "10.200.0.10", 80), true, false, "HostUnreachable"),
          withHealth(
              backend("b", "api", "dijon", "10.200.0.11", 80), true, false, "HostUnreachable"));
      harness.put(site(false));

      Reconciled<Site> r = withHeartbeat.reconcile("dijon");

      assertThat(r.state("Ready")).isEqualTo("False/Unreachable");
    }
  }

  @Test
  void withoutTunnelMonitoringADeclaredPeerIsUnknownAndDoesNotTakeTheSiteDown() {
    ReconcilerHarness<Site> noMonitor =
        new ReconcilerHarness<>(new SiteReconciler(clock).controller(), harness.store());
    harness.put(healthyBackend("a"), site(true));

    Reconciled<Site> r = noMonitor.reconcile("dijon");

    assertThat(r.state("TunnelUp")).isEqualTo("Unknown/WgUnavailable");
    assertThat(r.state("Ready")).isEqualTo("True/BackendsReady");
  }

  @Test
  void cleanupStopsMonitoringTheTunnel() {
    reconcile(site(true));
    assertThat(monitor.verdict(DIJON)).isPresent();

    var cleaned = harness.remove("dijon");

    assertThat(cleaned.tombstoneRemoved()).isTrue();
    assertThat(monitor.verdict(DIJON)).isEmpty();
  }

  @Test
  void aBackendChangeEnqueuesItsSiteAndAMoveEnqueuesBoth() {
    Backend a = healthyBackend("a");
    Backend moved = ReconcilerHarness.copy(a);
    moved.getSpec().site = "thory";

    assertThat(harness.enqueuedBy(null, a)).containsExactly(DIJON);
    assertThat(harness.enqueuedBy(a, withHealth(ReconcilerHarness.copy(a), false, false, null)))
        .containsExactly(DIJON);
    assertThat(harness.enqueuedBy(a, moved))
        .containsExactlyInAnyOrder(DIJON, new ResourceKey("Site", "thory"));
  }
}
