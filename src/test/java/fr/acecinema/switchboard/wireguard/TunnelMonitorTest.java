package fr.acecinema.switchboard.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.WireGuardPeer;
import fr.acecinema.switchboard.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TunnelMonitorTest {
  private static final ResourceKey DIJON = new ResourceKey("Site", "dijon");
  private static final ResourceKey THORY = new ResourceKey("Site", "thory");
  private final AtomicReference<String> dump = new AtomicReference<>(WgDumpTest.HUB_DUMP);
  private final AtomicInteger reads = new AtomicInteger();
  private final List<ResourceKey> changes = new ArrayList<>();

  private final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1795254180));

  private final TunnelMonitor monitor =
      new TunnelMonitor(
          iface -> {
            reads.incrementAndGet();
            String text = dump.get();
            if (text == null) {
              throw new WireGuardException("Unable to access interface: Protocol not supported");
            }
            return WgDump.parse(text);
          },
          clock,
          Duration.ofSeconds(1),
          (site, verdict) -> changes.add(site));

  private static WireGuardPeer peer(String key, String traffic) {
    WireGuardPeer p = new WireGuardPeer();
    p.interfaceName = "sbtbwg-hub";
    p.publicKey = key;
    p.trafficTimeout = traffic;
    return p;
  }

  @Test
  void readsANewPeerAtOnceSoTheFirstReconcileHasAVerdict() {
    monitor.track(DIJON, peer(WgDumpTest.DIJON, null));

    assertThat(monitor.verdict(DIJON)).get().extracting(TunnelVerdict::up).isEqualTo(true);
    assertThat(changes).isEmpty();
  }

  @Test
  void readsEachInterfaceOncePerRound() {
    monitor.track(DIJON, peer(WgDumpTest.DIJON, null));
    monitor.track(THORY, peer("/y+yEZyWSsNGxe2EZhEMqqAmoN/08h6ZFMgAXMmCQUA=", null));
    reads.set(0);

    monitor.pollOnce();

    assertThat(reads).hasValue(1);
  }

  @Test
  void reportsOnlyJudgementChangesNotCounterChanges() {
    monitor.track(DIJON, peer(WgDumpTest.DIJON, null));
    dump.set(WgDumpTest.HUB_DUMP.replace("\t180\t272\t", "\t400\t500\t"));
    monitor.pollOnce();
    assertThat(changes).isEmpty();
    assertThat(monitor.verdict(DIJON).orElseThrow().rxBytes()).isEqualTo(400);

    clock.advance(java.time.Duration.ofSeconds(200));
    monitor.pollOnce();

    assertThat(changes).containsExactly(DIJON);
    assertThat(monitor.verdict(DIJON).orElseThrow().reason()).isEqualTo("HandshakeStale");
  }

  @Test
  void judgesTrafficStalledWhenRxStopsGrowing() {
    monitor.track(DIJON, peer(WgDumpTest.DIJON, "10s"));
    clock.advance(java.time.Duration.ofSeconds(6));
    monitor.pollOnce();
    assertThat(monitor.verdict(DIJON).orElseThrow().up()).isTrue();

    clock.advance(java.time.Duration.ofSeconds(5));
    monitor.pollOnce();
    assertThat(monitor.verdict(DIJON).orElseThrow().reason()).isEqualTo("TrafficStalled");

    dump.set(WgDumpTest.HUB_DUMP.replace("\t180\t272\t", "\t212\t272\t"));
    monitor.pollOnce();
    assertThat(monitor.verdict(DIJON).orElseThrow().up()).isTrue();
    assertThat(changes).containsExactly(DIJON, DIJON);
  }

  @Test
  void aFailingWgGivesWgUnavailable() {
    dump.set(null);
    monitor.track(DIJON, peer(WgDumpTest.DIJON, null));

    TunnelVerdict v = monitor.verdict(DIJON).orElseThrow();
    assertThat(v.reason()).isEqualTo("WgUnavailable");
    assertThat(v.message()).contains("Protocol not supported");
  }

  @Test
  void untrackedSitesAreNoLongerRead() {
    monitor.track(DIJON, peer(WgDumpTest.DIJON, null));
    monitor.untrack(DIJON);
    reads.set(0);

    monitor.pollOnce();

    assertThat(reads).hasValue(0);
    assertThat(monitor.verdict(DIJON)).isEmpty();
  }
}
