package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.reconciler.RouterSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the operator needs to start; built from {@code SwitchboardConfig} by the CLI, or directly by
 * tests and benchmarks.
 *
 * @param manifests the watched directory
 * @param listen address of /healthz and /readyz, null for none (tests)
 * @param workers reconciles running at once, across keys
 * @param resync period of the full rescan and re-reconcile
 * @param probeStatusRefresh how often probe time and latency are refreshed in unchanged statuses
 * @param wireguard how Sites' WireGuard peers are read
 * @param records PostgreSQL records and the table source; null keeps them off (core tests)
 * @param routing whether and how routes are pushed to Caddy
 */
public record OperatorSettings(
    Path manifests,
    InetSocketAddress listen,
    int workers,
    Duration resync,
    Duration probeStatusRefresh,
    WireGuardSettings wireguard,
    RecordsSettings records,
    RouterSettings routing) {

  /** Default WireGuard reading, no records, no routing (Caddy untouched). */
  public OperatorSettings(
      Path manifests,
      InetSocketAddress listen,
      int workers,
      Duration resync,
      Duration probeStatusRefresh) {
    this(
        manifests,
        listen,
        workers,
        resync,
        probeStatusRefresh,
        WireGuardSettings.defaults(),
        null,
        RouterSettings.disabled());
  }

  /** Defaults for tests: no HTTP endpoint, 4 workers, 30 s resync and refresh, no routing. */
  public static OperatorSettings forDirectory(Path manifests) {
    return new OperatorSettings(manifests, null, 4, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  public OperatorSettings withResync(Duration d) {
    return new OperatorSettings(
        manifests, listen, workers, d, probeStatusRefresh, wireguard, records, routing);
  }

  public OperatorSettings withListen(InetSocketAddress a) {
    return new OperatorSettings(
        manifests, a, workers, resync, probeStatusRefresh, wireguard, records, routing);
  }

  public OperatorSettings withWireGuard(WireGuardSettings w) {
    return new OperatorSettings(
        manifests, listen, workers, resync, probeStatusRefresh, w, records, routing);
  }

  public OperatorSettings withRecords(RecordsSettings r) {
    return new OperatorSettings(
        manifests, listen, workers, resync, probeStatusRefresh, wireguard, r, routing);
  }

  /** The same settings with routing through Caddy as given. */
  public OperatorSettings withRouting(RouterSettings r) {
    return new OperatorSettings(
        manifests, listen, workers, resync, probeStatusRefresh, wireguard, records, r);
  }

  /**
   * How the hub reads WireGuard.
   *
   * @param command the wg command with any prefix, e.g. {@code [wg]} or {@code [ip, netns, exec,
   *     sbhub, wg]}
   * @param timeout maximum duration of one {@code wg show}
   * @param pollInterval time between two reads of every declared peer
   */
  public record WireGuardSettings(List<String> command, Duration timeout, Duration pollInterval) {
    public WireGuardSettings {
      command = List.copyOf(command);
    }

    /** {@code wg} from the PATH, 2 s timeout, read every second. */
    public static WireGuardSettings defaults() {
      return new WireGuardSettings(List.of("wg"), Duration.ofSeconds(2), Duration.ofSeconds(1));
    }
  }
}
