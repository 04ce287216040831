package fr.acecinema.switchboard.caddy;

import java.util.Objects;

/**
 * One backend as Caddy dials it.
 *
 * @param host IP address (or name) reachable from the hub, e.g. {@code 10.200.0.23}
 * @param port TCP port
 * @param weight relative share within its tier, 1-100
 */
public record Upstream(String host, int port, int weight) {
  public Upstream {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight " + weight + " must be at least 1");
    }
  }

  /** Caddy's {@code dial} form, with brackets around IPv6 addresses. */
  public String dial() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
