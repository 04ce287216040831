package fr.acecinema.switchboard.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which Site subnets the hub agrees to probe and route to. A Site's subnet is the only fence around
 * what a write token can make the hub connect to (every Backend address must lie inside its Site's
 * subnet), so a subnet that is not a site's own LAN turns the hub into a port scanner of its own
 * loopback, the cloud metadata service or the whole internet.
 *
 * <p>Refused unless an operator allows them with {@code --allow-subnets}: IPv4 blocks wider than
 * /16 and IPv6 blocks wider than /48 (0.0.0.0/0 and ::/0 among them: a site is a LAN, not a
 * country), and any block that overlaps loopback, link-local, cloud metadata addresses, multicast,
 * the unspecified "this network" range, IPv4-mapped IPv6 or the reserved 240.0.0.0/4. Public blocks
 * of /16 or narrower are accepted: a site may route its own public range over WireGuard.
 *
 * @param allowed blocks the operator allows although they are refused by the rules above; a Site
 *     subnet inside one of them is accepted as is
 */
public record SubnetPolicy(List<Subnets.Cidr> allowed) {
  /** Narrowest IPv4 prefix that is refused: /15 and wider are refused, /16 is accepted. */
  public static final int MIN_V4_PREFIX = 16;

  /** Narrowest IPv6 prefix that is refused: /47 and wider are refused, /48 is accepted. */
  public static final int MIN_V6_PREFIX = 48;

  /** Nothing allowed beyond the rules: what {@code sbctl run} enforces by default. */
  public static final SubnetPolicy SITES_ONLY = new SubnetPolicy(List.of());

  /** A range that no Site subnet may overlap, and why, in the user's words. */
  private record Reserved(Subnets.Cidr block, String what) {}

  private static final List<Reserved> RESERVED =
      List.of(
          reserved("0.0.0.0/8", "the unspecified 'this network' range"),
          reserved("127.0.0.0/8", "loopback: the hub itself"),
          reserved("169.254.0.0/16", "link-local, where cloud metadata services answer"),
          reserved("100.100.100.200/32", "a cloud metadata address"),
          reserved("224.0.0.0/4", "multicast"),
          reserved("240.0.0.0/4", "reserved (and broadcast)"),
          reserved("::/128", "the unspecified address"),
          reserved("::1/128", "loopback: the hub itself"),
          reserved("::ffff:0:0/96", "IPv4-mapped addresses (they reach IPv4 loopback too)"),
          reserved("fe80::/10", "link-local"),
          reserved("fd00:ec2::254/128", "a cloud metadata address"),
          reserved("ff00::/8", "multicast"));

  public SubnetPolicy {
    allowed = List.copyOf(allowed);
  }

  /**
   * The policy allowing {@code cidrs} (e.g. {@code 127.0.0.0/8} for a test fleet on loopback).
   *
   * @throws IllegalArgumentException naming the first block that is not a CIDR network address
   */
  public static SubnetPolicy allowing(List<String> cidrs) {
    List<Subnets.Cidr> out = new ArrayList<>();
    for (String text : cidrs) {
      if (text == null || text.isBlank()) {
        continue;
      }
      Subnets.Cidr cidr = Subnets.parseCidr(text.trim());
      if (!cidr.isNetworkAddress()) {
        throw new IllegalArgumentException(
            "'" + text.trim() + "' has host bits set; write the network address: " + cidr);
      }
      out.add(cidr);
    }
    return new SubnetPolicy(out);
  }

  /** Why a Site may not declare {@code subnet}; empty when it may. */
  public Optional<String> refusal(Subnets.Cidr subnet) {
    Subnets.Cidr net = new Subnets.Cidr(subnet.network(), subnet.prefix());
    for (Subnets.Cidr a : allowed) {
      if (a.prefix() <= net.prefix() && a.contains(net.network())) {
        return Optional.empty();
      }
    }
    boolean v4 = net.address().bits() == 32;
    int min = v4 ? MIN_V4_PREFIX : MIN_V6_PREFIX;
    if (net.prefix() < min) {
      return Optional.of(
          "'"
              + net
              + "' is wider than /"
              + min
              + ": the hub would probe and route to "
              + (net.prefix() == 0 ? "any address" : "addresses far beyond one site's LAN"));
    }
    for (Reserved r : RESERVED) {
      if (Subnets.overlap(r.block().toString(), net.toString()).isPresent()) {
        return Optional.of("'" + net + "' overlaps " + r.block() + ", " + r.what());
      }
    }
    return Optional.empty();
  }

  /** The fix to print under a refusal. */
  public static String hint(Subnets.Cidr subnet) {
    boolean v4 = subnet.address().bits() == 32;
    return "declare the site's own LAN, e.g. "
        + (v4 ? "10.200.3.0/24" : "fd00:200:3::/64")
        + "; if the hub must really reach "
        + subnet
        + " (a test fleet on loopback), start it with --allow-subnets "
        + subnet
        + " (SWITCHBOARD_ALLOW_SUBNETS)";
  }

  private static Reserved reserved(String cidr, String what) {
    return new Reserved(Subnets.parseCidr(cidr), what);
  }
}
