package fr.acecinema.switchboard.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WgDumpTest {
  /** Captured on the testbed: {@code ip netns exec sbhub wg show sbtbwg-hub dump}. */
  static final String HUB_DUMP =
      "YCYa5aR2ZRkEvjk6HTJRfQ++OzBEu6CaFJXTtGJ6b0s=\taoa5eDFEfBLvNZwhGRMn5/Ns/ze/DD/hc5DZWUlpJ2w="
          + "\t51820\toff\n"
          + "dsTpCjTdzlkG8qfwNboe/7SdRsHMoxgZKteJkRQlulo=\t(none)\t192.168.77.2:51820\t10.200.0.0/24"
          + "\t1795254177\t180\t272\t5\n"
          + "/y+yEZyWSsNGxe2EZhEMqqAmoN/08h6ZFMgAXMmCQUA=\t(none)\t192.168.77.6:51820\t10.200.1.0/24"
          + "\t1795254178\t180\t272\t5\n";

  static final String DIJON = "dsTpCjTdzlkG8qfwNboe/7SdRsHMoxgZKteJkRQlulo=";

  @Test
  void parsesTheHubDumpOfTheTestbed() {
    WgDump dump = WgDump.parse(HUB_DUMP);

    assertThat(dump.publicKey()).isEqualTo("aoa5eDFEfBLvNZwhGRMn5/Ns/ze/DD/hc5DZWUlpJ2w=");
    assertThat(dump.listenPort()).isEqualTo(51820);
    assertThat(dump.peers()).hasSize(2);
    WgDump.Peer dijon = dump.peer(DIJON).orElseThrow();
    assertThat(dijon.endpoint()).isEqualTo("192.168.77.2:51820");
    assertThat(dijon.allowedIps()).containsExactly("10.200.0.0/24");
    assertThat(dijon.latestHandshake()).contains(Instant.ofEpochSecond(1795254177));
    assertThat(dijon.rxBytes()).isEqualTo(180);
    assertThat(dijon.txBytes()).isEqualTo(272);
    assertThat(dijon.persistentKeepaliveSeconds()).isEqualTo(5);
  }

  @Test
  void dropsThePrivateKey() {
    assertThat(WgDump.parse(HUB_DUMP).toString())
        .doesNotContain("YCYa5aR2ZRkEvjk6HTJRfQ++OzBEu6CaFJXTtGJ6b0s=");
  }

  @Test
  void readsAPeerWithoutHandshakeEndpointOrKeepalive() {
    WgDump dump =
        WgDump.parse("(none)\tpub=\t0\toff\n" + "peer=\t(none)\t(none)\t(none)\t0\t0\t0\toff\n");

    WgDump.Peer peer = dump.peers().get(0);
    assertThat(peer.latestHandshake()).isEmpty();
    assertThat(peer.endpoint()).isNull();
    assertThat(peer.allowedIps()).isEmpty();
    assertThat(peer.persistentKeepaliveSeconds()).isZero();
  }

  @Test
  void splitsSeveralAllowedRanges() {
    WgDump dump =
        WgDump.parse(
            "k\tpub\t1\toff\np\t(none)\t1.2.3.4:5\t10.0.0.0/24,10.0.1.0/24\t1\t2\t3\t25\n");

    assertThat(dump.peers().get(0).allowedIps()).isEqualTo(List.of("10.0.0.0/24", "10.0.1.0/24"));
  }

  @Test
  void rejectsTheAllInterfacesFormWithAHint() {
    assertThatThrownBy(() -> WgDump.parse("wg0\tk\tpub\t1\toff\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("one interface");
  }

  @Test
  void rejectsAnUnreadableNumberNamingLineAndField() {
    assertThatThrownBy(
            () -> WgDump.parse("k\tpub\t1\toff\np\t(none)\t(none)\t(none)\tx\t0\t0\toff"))
        .hasMessageContaining("line 2")
        .hasMessageContaining("latest handshake");
  }

  @Test
  void rejectsEmptyOutput() {
    assertThatThrownBy(() -> WgDump.parse("\n")).hasMessageContaining("nothing");
  }
}
