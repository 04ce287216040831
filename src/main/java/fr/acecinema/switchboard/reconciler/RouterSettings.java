package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.caddy.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the router drives Caddy. Timings are explained in docs/caddy.md ("When the router pushes").
 *
 * @param enabled false: no router, no {@code Routed} condition (tests of the core)
 * @param adminUrl Caddy's admin API, e.g. {@code http://127.0.0.1:2019}
 * @param caddy listen addresses, automatic HTTPS and Caddy-side timings of our server
 * @param driftCheck how often the router compares what Caddy runs with what it wants even when
 *     nothing changed (repairs a Caddy restart or a manual reload)
 * @param debounce quiet period after a change of the desired config before it is pushed, so a burst
 *     of edits becomes one push
 * @param maxDelay longest a change waits for a quiet period during a continuous burst
 * @param unreachableBackoff longest wait between two attempts while Caddy is unreachable
 * @param rejectedRetry how long a config Caddy refused is not re-sent unless it changes
 */
public record RouterSettings(
    boolean enabled,
    String adminUrl,
    Settings caddy,
    Duration driftCheck,
    Duration debounce,
    Duration maxDelay,
    Duration unreachableBackoff,
    Duration rejectedRetry) {

  /** The default admin address of a Caddy install. */
  public static final String DEFAULT_ADMIN = "http://127.0.0.1:2019";

  public RouterSettings {
    Objects.requireNonNull(adminUrl, "adminUrl");
    Objects.requireNonNull(caddy, "caddy");
    Objects.requireNonNull(driftCheck, "driftCheck");
    Objects.requireNonNull(debounce, "debounce");
    Objects.requireNonNull(maxDelay, "maxDelay");
    Objects.requireNonNull(unreachableBackoff, "unreachableBackoff");
    Objects.requireNonNull(rejectedRetry, "rejectedRetry");
  }

  /** No routing: the operator never talks to Caddy. */
  public static RouterSettings disabled() {
    return new RouterSettings(
        false,
        DEFAULT_ADMIN,
        Settings.defaults(),
        Duration.ofSeconds(2),
        Duration.ofMillis(200),
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30));
  }

  /**
   * Routing enabled through the Caddy at {@code adminUrl}, serving on {@code listen}, with the
   * default timings.
   */
  public static RouterSettings caddy(String adminUrl, List<String> listen, boolean automaticHttps) {
    RouterSettings d = disabled();
    return new RouterSettings(
        true,
        adminUrl,
        Settings.defaults().withListen(listen, automaticHttps),
        d.driftCheck,
        d.debounce,
        d.maxDelay,
        d.unreachableBackoff,
        d.rejectedRetry);
  }

  /**
   * The same settings with the upstream resolver at {@code address}, asked every {@code refresh}.
   */
  public RouterSettings withResolver(String address, Duration refresh) {
    return new RouterSettings(
        enabled,
        adminUrl,
        caddy.withResolver(address, refresh),
        driftCheck,
        debounce,
        maxDelay,
        unreachableBackoff,
        rejectedRetry);
  }

  /** The same settings with another drift-check period. */
  public RouterSettings withDriftCheck(Duration period) {
    return new RouterSettings(
        enabled, adminUrl, caddy, period, debounce, maxDelay, unreachableBackoff, rejectedRetry);
  }
}
