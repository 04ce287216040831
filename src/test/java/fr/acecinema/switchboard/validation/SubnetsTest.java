package fr.acecinema.switchboard.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubnetsTest {
  @Test
  void containsAddressesOfItsIpv4Block() {
    assertThat(Subnets.contains("10.200.0.0/24", "10.200.0.23")).isTrue();
    assertThat(Subnets.contains("10.200.0.0/24", "10.200.0.255")).isTrue();
    assertThat(Subnets.contains("10.200.0.0/24", "10.200.1.45")).isFalse();
    assertThat(Subnets.contains("127.0.10.0/24", "127.0.10.2")).isTrue();
    assertThat(Subnets.contains("0.0.0.0/0", "192.0.2.1")).isTrue();
    assertThat(Subnets.contains("10.200.0.23/32", "10.200.0.23")).isTrue();
    assertThat(Subnets.contains("10.200.0.23/32", "10.200.0.24")).isFalse();
  }

  @Test
  void containsAddressesOfItsIpv6Block() {
    assertThat(Subnets.contains("fd00:200::/64", "fd00:200::23")).isTrue();
    assertThat(Subnets.contains("fd00:200::/64", "fd00:200:0:1::23")).isFalse();
    assertThat(Subnets.contains("fd00:200::/48", "fd00:200:0:ffff::1")).isTrue();
    assertThat(Subnets.contains("::ffff:0:0/96", "::ffff:10.200.0.1")).isTrue();
  }

  @Test
  void neverMatchesAcrossAddressFamilies() {
    assertThat(Subnets.contains("10.200.0.0/24", "fd00::1")).isFalse();
    assertThat(Subnets.contains("::/0", "10.200.0.1")).isFalse();
  }

  @Test
  void refusesHostNamesWithoutResolvingThem() {
    // localhost would resolve to 127.0.0.1 through InetAddress; here it is simply not a literal.
    assertThatThrownBy(() -> Subnets.contains("127.0.0.0/8", "localhost"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an IPv4 address");
    assertThat(Subnets.isIpLiteral("backend.dijon.lan")).isFalse();
    assertThat(Subnets.isIpLiteral("dead.beef")).isFalse();
  }

  @Test
  void refusesMalformedLiterals() {
    for (String bad :
        new String[] {
          "10.200.0",
          "10.200.0.256",
          "010.200.0.1",
          "10.200.0.1.",
          "1::2::3",
          "fd00::1%eth0",
          "1:2:3:4:5:6:7:8:9",
          "1:2:3:4:5:6:7",
          "12345::",
          "::ffff:10.0.0",
          ""
        }) {
      assertThat(Subnets.isIpLiteral(bad)).as(bad).isFalse();
    }
    assertThat(Subnets.isIpLiteral("1:2:3:4:5:6:7:8")).isTrue();
    assertThat(Subnets.isIpLiteral("::")).isTrue();
    assertThat(Subnets.isIpLiteral("::1")).isTrue();
    assertThat(Subnets.isIpLiteral("1:2:3:4:5:6:1.2.3.4")).isTrue();
  }

  @Test
  void reportsBadPrefixLengths() {
    assertThatThrownBy(() -> Subnets.parseCidr("10.200.0.0/33"))
        .hasMessageContaining("longer than an IPv4 address");
    assertThatThrownBy(() -> Subnets.parseCidr("fd00::/129"))
        .hasMessageContaining("longer than an IPv6 address");
    assertThatThrownBy(() -> Subnets.parseCidr("10.200.0.0"))
        .hasMessageContaining("no prefix length")
        .hasMessageContaining("10.200.0.0/24");
    assertThatThrownBy(() -> Subnets.parseCidr("10.200.0.0/x")).hasMessageContaining("'x'");
  }

  @Test
  void findsTheNetworkAddressOfABlockWithHostBits() {
    Subnets.Cidr c = Subnets.parseCidr("10.200.0.23/24");
    assertThat(c.isNetworkAddress()).isFalse();
    assertThat(c.toString()).isEqualTo("10.200.0.0/24");
    assertThat(Subnets.parseCidr("fd00:200::5/64").toString()).isEqualTo("fd00:200::/64");
    assertThat(Subnets.parseCidr("10.200.0.0/24").isNetworkAddress()).isTrue();
  }

  @Test
  void formatsIpv6Canonically() {
    assertThat(Subnets.parseIp("FD00:0:0:0:0:0:0:1").toString()).isEqualTo("fd00::1");
    assertThat(Subnets.parseIp("1:0:0:2:0:0:0:3").toString()).isEqualTo("1:0:0:2::3");
    assertThat(Subnets.parseIp("1:0:2:3:4:5:6:7").toString()).isEqualTo("1:0:2:3:4:5:6:7");
    assertThat(Subnets.parseIp("::").toString()).isEqualTo("::");
  }

  @Test
  void overlapIsTheNarrowerOfTwoNestedBlocks() {
    assertThat(Subnets.overlap("10.200.0.0/16", "10.200.1.0/24")).contains("10.200.1.0/24");
    assertThat(Subnets.overlap("10.200.1.0/24", "10.200.0.0/16")).contains("10.200.1.0/24");
    assertThat(Subnets.overlap("10.200.0.0/24", "10.200.1.0/24")).isEmpty();
    assertThat(Subnets.overlap("10.200.0.0/24", "fd00::/8")).isEmpty();
    assertThat(Subnets.overlap("fd00::/8", "fd00:200::/64")).contains("fd00:200::/64");
  }
}
