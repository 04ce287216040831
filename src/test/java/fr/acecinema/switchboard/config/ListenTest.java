package fr.acecinema.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ListenTest {
  @Test
  void parsesHostAndPort() {
    assertThat(Listen.parse("127.0.0.1:7070")).isEqualTo(new InetSocketAddress("127.0.0.1", 7070));
  }

  @Test
  void emptyHostMeansEveryInterface() {
    InetSocketAddress a = Listen.parse(":7070");
    assertThat(a.getAddress().isAnyLocalAddress()).isTrue();
    assertThat(a.getPort()).isEqualTo(7070);
  }

  @Test
  void parsesBracketedIpv6() {
    assertThat(Listen.format(Listen.parse("[::1]:7070"))).isEqualTo("[0:0:0:0:0:0:0:1]:7070");
  }

  @Test
  void rejectsMissingPortWithExample() {
    assertThatThrownBy(() -> Listen.parse("127.0.0.1"))
        .hasMessage("'127.0.0.1' has no port; write HOST:PORT, e.g. 127.0.0.1:7070 or :7070");
  }

  @Test
  void rejectsPortOutOfRange() {
    assertThatThrownBy(() -> Listen.parse("127.0.0.1:70000"))
        .hasMessage("'127.0.0.1:70000': port 70000 is outside 0-65535");
  }

  @Test
  void rejectsUnbracketedIpv6() {
    assertThatThrownBy(() -> Listen.parse("::1:7070")).hasMessageContaining("[::1]:7070");
  }
}
