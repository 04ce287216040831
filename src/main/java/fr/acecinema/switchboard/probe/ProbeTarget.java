package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import java.util.Objects;

/**
 * What to probe: an endpoint and the effective check. Two equal targets describe the same probe
 * loop, which is what makes {@link ProbeScheduler#ensure} idempotent.
 *
 * @param address IP literal (IPv6 with or without brackets) or host name
 * @param port TCP port, 1-65535
 * @param check the effective health check
 */
public record ProbeTarget(String address, int port, ResolvedHealthCheck check) {
  public ProbeTarget {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(check, "check");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
  }

  /** Whether {@code other} probes the same address and port (the check may differ). */
  public boolean sameEndpoint(ProbeTarget other) {
    return other != null && address.equals(other.address) && port == other.port;
  }

  @Override
  public String toString() {
    String host = address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    return check.type().name().toLowerCase() + "://" + host + ":" + port;
  }
}
