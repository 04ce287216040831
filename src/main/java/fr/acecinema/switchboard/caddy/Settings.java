package fr.acecinema.switchboard.caddy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Hub-wide settings of Switchboard's Caddy server.
 *
 * @param listen Caddy listen addresses of our server, e.g. {@code [":80"]} or {@code [":443"]}
 * @param automaticHttps true on a real hub (Caddy obtains certificates for the hosts); false for
 *     tests and demos
 * @param resolver {@code host:port} of Switchboard's upstream resolver ({@link UpstreamResolver}),
 *     as Caddy must reach it
 * @param resolverRefresh how long Caddy keeps a resolver answer before asking again: the longest a
 *     health change waits before Caddy routes by it
 * @param fallbackTryDuration retry window of a tier that has a next tier behind it: after it, the
 *     request moves to the next tier instead of waiting out the service's whole try duration.
 *     Default 0: a failed attempt goes straight to the next tier (measured in docs/caddy.md: 1 s
 *     here cost every request 1.1 s while the best tier was dead)
 */
public record Settings(
    List<String> listen,
    boolean automaticHttps,
    String resolver,
    Duration resolverRefresh,
    Duration fallbackTryDuration) {

  /** Name of Switchboard's server under {@code apps.http.servers}. */
  public static final String SERVER_NAME = "switchboard";

  /** Every {@code @id} Switchboard creates starts with this. */
  public static final String ID_PREFIX = "switchboard-";

  public Settings {
    listen = List.copyOf(listen);
    if (listen.isEmpty()) {
      throw new IllegalArgumentException("Caddy needs at least one listen address, e.g. :80");
    }
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(resolverRefresh, "resolverRefresh");
    Objects.requireNonNull(fallbackTryDuration, "fallbackTryDuration");
  }

  /** The resolver's default address (loopback: Caddy and Switchboard share the hub). */
  public static final String DEFAULT_RESOLVER = "127.0.0.1:7053";

  /**
   * Listen on {@code :80}, automatic HTTPS on, the resolver on its default address asked every 100
   * ms, the measured timings of docs/caddy.md.
   */
  public static Settings defaults() {
    return new Settings(
        List.of(":80"), true, DEFAULT_RESOLVER, Duration.ofMillis(100), Duration.ZERO);
  }

  /** The same settings with other listen addresses and automatic HTTPS switched. */
  public Settings withListen(List<String> addresses, boolean https) {
    return new Settings(addresses, https, resolver, resolverRefresh, fallbackTryDuration);
  }

  /** The same settings with the resolver at another address, asked every {@code refresh}. */
  public Settings withResolver(String address, Duration refresh) {
    return new Settings(listen, automaticHttps, address, refresh, fallbackTryDuration);
  }
}
