package fr.acecinema.switchboard.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TunnelJudgeTest {
  private static final Instant HANDSHAKE = Instant.ofEpochSecond(1795254177);
  private static final Optional<WgDump> DUMP = Optional.of(WgDump.parse(WgDumpTest.HUB_DUMP));
  private static final Duration TIMEOUT = Duration.ofSeconds(180);

  private static TunnelVerdict judge(
      Optional<WgDump> dump, String key, Instant now, Duration traffic, Instant rxSince) {
    return TunnelJudge.judge(dump, "wg failed", "sbtbwg-hub", key, now, TIMEOUT, traffic, rxSince);
  }

  @Test
  void upWhileTheHandshakeIsRecent() {
    TunnelVerdict v = judge(DUMP, WgDumpTest.DIJON, HANDSHAKE.plusSeconds(100), null, null);

    assertThat(v.up()).isTrue();
    assertThat(v.reason()).isEqualTo("HandshakeRecent");
    assertThat(v.latestHandshake()).isEqualTo(HANDSHAKE);
    assertThat(v.rxBytes()).isEqualTo(180);
    assertThat(v.txBytes()).isEqualTo(272);
  }

  @Test
  void downOnceTheHandshakeIsOlderThanTheTimeout() {
    TunnelVerdict v = judge(DUMP, WgDumpTest.DIJON, HANDSHAKE.plusSeconds(181), null, null);

    assertThat(v.up()).isFalse();
    assertThat(v.reason()).isEqualTo("HandshakeStale");
    assertThat(v.message()).contains("181s ago");
  }

  @Test
  void downWhenNothingWasReceivedForTheTrafficTimeout() {
    Instant now = HANDSHAKE.plusSeconds(30);
    TunnelVerdict v =
        judge(DUMP, WgDumpTest.DIJON, now, Duration.ofSeconds(12), now.minusSeconds(13));

    assertThat(v.up()).isFalse();
    assertThat(v.reason()).isEqualTo("TrafficStalled");
  }

  @Test
  void upWhenBytesArrivedWithinTheTrafficTimeout() {
    Instant now = HANDSHAKE.plusSeconds(30);
    TunnelVerdict v =
        judge(DUMP, WgDumpTest.DIJON, now, Duration.ofSeconds(12), now.minusSeconds(5));

    assertThat(v.up()).isTrue();
  }

  @Test
  void downWithoutAnyHandshake() {
    Optional<WgDump> dump =
        Optional.of(WgDump.parse("k\tpub\t1\toff\npeer=\t(none)\t(none)\t(none)\t0\t0\t148\t5\n"));

    TunnelVerdict v = judge(dump, "peer=", HANDSHAKE, null, null);

    assertThat(v.up()).isFalse();
    assertThat(v.reason()).isEqualTo("NoHandshake");
    assertThat(v.txBytes()).isEqualTo(148);
  }

  @Test
  void peerNotFoundNamesTheKeyAndTheCommandToCheck() {
    TunnelVerdict v = judge(DUMP, "unknown=", HANDSHAKE, null, null);

    assertThat(v.up()).isFalse();
    assertThat(v.reason()).isEqualTo("PeerNotFound");
    assertThat(v.message()).contains("unknown=").contains("wg show sbtbwg-hub peers");
  }

  @Test
  void wgUnavailableCarriesTheError() {
    TunnelVerdict v = judge(Optional.empty(), WgDumpTest.DIJON, HANDSHAKE, null, null);

    assertThat(v.up()).isFalse();
    assertThat(v.reason()).isEqualTo("WgUnavailable");
    assertThat(v.message()).isEqualTo("wg failed");
  }
}
