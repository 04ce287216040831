package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.validation.Subnets;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The address the hub reaches a site's host-network containers at. Given ({@code
 * --advertise-address}) or found: the one address of this host inside the site's subnet. Guessing
 * among several would register every container at a possibly wrong address, so several, like none,
 * is an error that names the subnet, the addresses seen and the fix.
 */
public final class AdvertiseAddress {
  private AdvertiseAddress() {}

  /**
   * The one of {@code addresses} inside {@code subnet}, in canonical form.
   *
   * @throws IllegalStateException when none or several are, with the fix
   */
  public static String pick(String site, String subnet, Collection<String> addresses) {
    Subnets.Cidr cidr = Subnets.parseCidr(subnet);
    List<String> inside = new ArrayList<>();
    for (String a : addresses) {
      if (Subnets.isIpLiteral(a)) {
        Subnets.Ip ip = Subnets.parseIp(a);
        if (cidr.contains(ip) && !inside.contains(ip.toString())) {
          inside.add(ip.toString());
        }
      }
    }
    if (inside.size() == 1) {
      return inside.get(0);
    }
    throw new IllegalStateException(
        (inside.isEmpty()
                ? "no address of this host is inside the subnet " + subnet + " of site " + site
                : "several addresses of this host are inside the subnet "
                    + subnet
                    + " of site "
                    + site
                    + " ("
                    + String.join(", ", inside)
                    + ")")
            + "; addresses seen: "
            + (addresses.isEmpty() ? "none" : String.join(", ", addresses))
            + ". Set --advertise-address (SWITCHBOARD_ADVERTISE_ADDRESS) to the address the hub"
            + " reaches this site's containers at");
  }

  /**
   * The addresses of this host's interfaces that are up; loopback too, for a test fleet whose site
   * subnet is on loopback (a real site's subnet never contains it).
   */
  public static List<String> local() {
    List<String> out = new ArrayList<>();
    try {
      for (NetworkInterface i : NetworkInterface.networkInterfaces().toList()) {
        if (!i.isUp()) {
          continue;
        }
        for (InetAddress a : i.inetAddresses().toList()) {
          String text = a.getHostAddress();
          int scope = text.indexOf('%');
          out.add(scope < 0 ? text : text.substring(0, scope));
        }
      }
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list this host's network interfaces: " + e, e);
    }
    return out;
  }
}
