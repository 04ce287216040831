package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdvertiseAddressTest {
  @Test
  void theOneAddressInsideTheSubnetIsPicked() {
    assertThat(
            AdvertiseAddress.pick(
                "dijon", "10.200.1.0/24", List.of("127.0.0.1", "10.200.2.9", "10.200.1.7")))
        .isEqualTo("10.200.1.7");
  }

  @Test
  void anIpv6AddressIsPickedInItsCanonicalForm() {
    assertThat(AdvertiseAddress.pick("dijon", "fd00:200::/64", List.of("fd00:200:0:0:0:0:0:5")))
        .isEqualTo("fd00:200::5");
  }

  @Test
  void noneInsideIsAnErrorNamingTheSubnetTheAddressesAndTheFix() {
    assertThatThrownBy(() -> AdvertiseAddress.pick("dijon", "10.200.1.0/24", List.of("10.0.0.2")))
        .hasMessageContaining("no address of this host is inside the subnet 10.200.1.0/24")
        .hasMessageContaining("addresses seen: 10.0.0.2")
        .hasMessageContaining("--advertise-address");
  }

  @Test
  void severalInsideIsAnErrorListingThem() {
    assertThatThrownBy(
            () ->
                AdvertiseAddress.pick(
                    "dijon", "10.200.1.0/24", List.of("10.200.1.7", "10.200.1.8")))
        .hasMessageContaining("several addresses")
        .hasMessageContaining("10.200.1.7, 10.200.1.8")
        .hasMessageContaining("SWITCHBOARD_ADVERTISE_ADDRESS");
  }

  @Test
  void theLocalAddressesIncludeLoopback() {
    assertThat(AdvertiseAddress.local()).contains("127.0.0.1");
  }
}
