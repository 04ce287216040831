package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteSpec;
import fr.acecinema.switchboard.api.v1alpha1.WireGuardPeer;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.WgDump;
import fr.acecinema.switchboard.wireguard.WireGuardException;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SiteReconcilerTest {
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
    Site site = new Site();
    site.setMetadata(new ObjectMetaBuilder().withName("dijon").withGeneration(1L).build());
    site.setSpec(new SiteSpec());
    site.getSpec().subnet = "10.200.0.0/24";
    if (withPeer) {
      WireGuardPeer peer = new WireGuardPeer();
      peer.interfaceName = "sbtbwg-hub";
      peer.publicKey = KEY;
      site.getSpec().wireguard = peer;
    }
    return site;
  }

  private static Backend healthyBackend(String name) {
    Backend b = new Backend();
    b.setMetadata(new ObjectMetaBuilder().withName(name).build());
    b.setStatus(new BackendStatus());
    b.getStatus().conditions.add(new Condition("Healthy", Condition.TRUE, "ProbeSucceeded", ""));
    return b;
  }

  @SuppressWarnings("unchecked")
  private static Context<Site> context(Set<Backend> backends) {
    return (Context<Site>)
        Proxy.newProxyInstance(
            Context.class.getClassLoader(),
            new Class<?>[] {Context.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getSecondaryResources")) {
                return backends;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  private Site reconcile(Site site) {
    return new SiteReconciler(clock, monitor, null)
        .reconcile(site, context(Set.of(healthyBackend("a"), healthyBackend("b"))))
        .getResource()
        .orElseThrow();
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
}
