package fr.acecinema.switchboard.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Site subnets that would let a write token make the hub probe its own loopback, a cloud metadata
 * service or the whole internet are refused at validation, with the field and the fix; an operator
 * allows them explicitly with --allow-subnets.
 */
class SubnetPolicyTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  private static List<String> siteProblems(SchemaValidator validator, String subnet)
      throws Exception {
    String site =
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata: {name: dijon}
        spec: {subnet: "%s"}
        """
            .formatted(subnet);
    return validator.validate(YAML.readTree(site)).stream().map(Problem::describe).toList();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0.0.0.0/0       | is wider than /16: the hub would probe and route to any address",
        "::/0            | is wider than /48: the hub would probe and route to any address",
        "10.0.0.0/8      | is wider than /16",
        "127.0.0.0/8     | is wider than /16",
        "127.0.0.0/16    | overlaps 127.0.0.0/8, loopback: the hub itself",
        "127.0.10.0/24   | overlaps 127.0.0.0/8, loopback: the hub itself",
        "169.254.169.254/32 | overlaps 169.254.0.0/16, link-local, where cloud metadata services",
        "169.254.0.0/16  | overlaps 169.254.0.0/16",
        "100.100.100.200/32 | overlaps 100.100.100.200/32, a cloud metadata address",
        "224.0.0.0/24    | overlaps 224.0.0.0/4, multicast",
        "0.0.0.0/32      | overlaps 0.0.0.0/8, the unspecified",
        "255.255.255.255/32 | overlaps 240.0.0.0/4",
        "::1/128         | overlaps ::1/128, loopback",
        "::/128          | overlaps ::/128, the unspecified address",
        "fe80::/64       | overlaps fe80::/10, link-local",
        "ff02::/64       | overlaps ff00::/8, multicast",
        "fd00:ec2::/64   | overlaps fd00:ec2::254/128, a cloud metadata address",
        "::ffff:0:0/96   | overlaps ::ffff:0:0/96, IPv4-mapped",
      })
  void refusesSubnetsThatAreNotASitesLanNamingTheFieldAndTheFix(String subnet, String why)
      throws Exception {
    List<String> problems = siteProblems(new SchemaValidator(), subnet);
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0))
        .startsWith("spec.subnet: '" + subnet + "' " + why)
        .contains("declare the site's own LAN, e.g. ")
        .contains("--allow-subnets " + subnet + " (SWITCHBOARD_ALLOW_SUBNETS)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.200.0.0/24",
        "192.168.1.0/24",
        "172.16.0.0/16",
        "100.64.3.0/24",
        "203.0.113.0/24",
        "fd00:200::/64",
        "2001:db8:1::/48"
      })
  void acceptsPrivateAndNarrowSiteRanges(String subnet) throws Exception {
    assertThat(siteProblems(new SchemaValidator(), subnet)).isEmpty();
  }

  @Test
  void anAllowedBlockAcceptsTheSubnetsInsideItAndNothingElse() throws Exception {
    SchemaValidator loopback =
        new SchemaValidator(SubnetPolicy.allowing(List.of("127.0.0.0/8", "0.0.0.0/0")));
    assertThat(siteProblems(loopback, "127.0.10.0/24")).isEmpty();
    assertThat(siteProblems(loopback, "0.0.0.0/0")).isEmpty();
    SchemaValidator one = new SchemaValidator(SubnetPolicy.allowing(List.of("127.0.10.0/24")));
    assertThat(siteProblems(one, "127.0.10.0/24")).isEmpty();
    assertThat(siteProblems(one, "127.0.10.128/25")).isEmpty();
    assertThat(siteProblems(one, "127.0.0.0/16")).singleElement().asString().contains("loopback");
    assertThat(siteProblems(one, "169.254.169.254/32")).hasSize(1);
  }

  @Test
  void anAllowedBlockMustBeACidrNetwork() {
    assertThatThrownBy(() -> SubnetPolicy.allowing(List.of("127.0.0.1/8")))
        .hasMessage("'127.0.0.1/8' has host bits set; write the network address: 127.0.0.0/8");
    assertThatThrownBy(() -> SubnetPolicy.allowing(List.of("loopback")))
        .hasMessageContaining("'loopback' has no prefix length");
  }
}
