package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.reconciler.RouterSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the operator needs to start; built from {@code SwitchboardConfig} by the CLI, or directly by
 * tests and benchmarks.
 *
 * @param manifests the watched directory
 * @param listen address of /healthz and /readyz, null for none (tests)
 * @param workers reconciles running at once, across keys
 * @param resync period of the full rescan and re-reconcile
 * @param probeStatusRefresh how often probe time and latency are refreshed in unchanged statuses
 * @param routing whether and how routes are pushed to Caddy
 */
public record OperatorSettings(
    Path manifests,
    InetSocketAddress listen,
    int workers,
    Duration resync,
    Duration probeStatusRefresh,
    RouterSettings routing) {

  /** Without routing (Caddy untouched). */
  public OperatorSettings(
      Path manifests,
      InetSocketAddress listen,
      int workers,
      Duration resync,
      Duration probeStatusRefresh) {
    this(manifests, listen, workers, resync, probeStatusRefresh, RouterSettings.disabled());
  }

  /** The same settings with routing through Caddy as given. */
  public OperatorSettings withRouting(RouterSettings r) {
    return new OperatorSettings(manifests, listen, workers, resync, probeStatusRefresh, r);
  }

  /** Defaults for tests: no HTTP endpoint, 4 workers, 30 s resync and refresh, no routing. */
  public static OperatorSettings forDirectory(Path manifests) {
    return new OperatorSettings(manifests, null, 4, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  public OperatorSettings withResync(Duration d) {
    return new OperatorSettings(manifests, listen, workers, d, probeStatusRefresh, routing);
  }

  public OperatorSettings withListen(InetSocketAddress a) {
    return new OperatorSettings(manifests, a, workers, resync, probeStatusRefresh, routing);
  }
}
