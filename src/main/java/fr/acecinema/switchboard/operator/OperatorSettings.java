package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

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
 * @param heartbeat how backend hosts are heartbeaten, and whether connections to dead ones are
 *     ended
 * @param subnets which Site subnets are accepted ({@code --allow-subnets}); tests and the demo on
 *     loopback allow theirs explicitly
 * @param statusWriteFailingAfter how long every status write of one file must fail before {@code
 *     /readyz} says so ({@code --status-write-failing-after})
 */
public record OperatorSettings(
    Path manifests,
    InetSocketAddress listen,
    int workers,
    Duration resync,
    Duration probeStatusRefresh,
    WireGuardSettings wireguard,
    RecordsSettings records,
    RouterSettings routing,
    HeartbeatSettings heartbeat,
    SubnetPolicy subnets,
    Duration statusWriteFailingAfter) {

  /** The default of {@code --status-write-failing-after}. */
  public static final Duration STATUS_WRITE_FAILING_AFTER = Duration.ofSeconds(30);

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
        RouterSettings.disabled(),
        HeartbeatSettings.defaults(),
        SubnetPolicy.SITES_ONLY,
        STATUS_WRITE_FAILING_AFTER);
  }

  /** Defaults for tests: no HTTP endpoint, 4 workers, 30 s resync and refresh, no routing. */
  public static OperatorSettings forDirectory(Path manifests) {
    return new OperatorSettings(manifests, null, 4, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  public OperatorSettings withResync(Duration d) {
    return copy(p -> p.resync = d);
  }

  public OperatorSettings withListen(InetSocketAddress a) {
    return copy(p -> p.listen = a);
  }

  public OperatorSettings withWireGuard(WireGuardSettings w) {
    return copy(p -> p.wireguard = w);
  }

  public OperatorSettings withRecords(RecordsSettings r) {
    return copy(p -> p.records = r);
  }

  /** The same settings with routing through Caddy as given. */
  public OperatorSettings withRouting(RouterSettings r) {
    return copy(p -> p.routing = r);
  }

  /** The same settings with another heartbeat. */
  public OperatorSettings withHeartbeat(HeartbeatSettings h) {
    return copy(p -> p.heartbeat = h);
  }

  /** The same settings accepting the Site subnets of {@code s}. */
  public OperatorSettings withSubnets(SubnetPolicy s) {
    return copy(p -> p.subnets = s);
  }

  /** The same settings, judging status writes failing after {@code d} of failures. */
  public OperatorSettings withStatusWriteFailingAfter(Duration d) {
    return copy(p -> p.statusWriteFailingAfter = d);
  }

  /** These settings with what {@code change} sets on a copy of their parts. */
  private OperatorSettings copy(Consumer<Parts> change) {
    Parts p = new Parts(this);
    change.accept(p);
    return new OperatorSettings(
        p.manifests,
        p.listen,
        p.workers,
        p.resync,
        p.probeStatusRefresh,
        p.wireguard,
        p.records,
        p.routing,
        p.heartbeat,
        p.subnets,
        p.statusWriteFailingAfter);
  }

  /** The components of a settings record, to change one of them (the record stays immutable). */
  private static final class Parts {
    Path manifests;
    InetSocketAddress listen;
    int workers;
    Duration resync;
    Duration probeStatusRefresh;
    WireGuardSettings wireguard;
    RecordsSettings records;
    RouterSettings routing;
    HeartbeatSettings heartbeat;
    SubnetPolicy subnets;
    Duration statusWriteFailingAfter;

    Parts(OperatorSettings s) {
      manifests = s.manifests;
      listen = s.listen;
      workers = s.workers;
      resync = s.resync;
      probeStatusRefresh = s.probeStatusRefresh;
      wireguard = s.wireguard;
      records = s.records;
      routing = s.routing;
      heartbeat = s.heartbeat;
      subnets = s.subnets;
      statusWriteFailingAfter = s.statusWriteFailingAfter;
    }
  }

  /**
   * How backend hosts are heartbeaten ({@code probe.HostHeartbeat}).
   *
   * @param interval time between two attempts to one host
   * @param timeout how long one attempt may wait
   * @param misses consecutive unanswered attempts that judge an answering host dead
   * @param killCommand the {@code ss} command (with any prefix) that ends connections to dead
   *     hosts; empty: never end them
   */
  public record HeartbeatSettings(
      Duration interval, Duration timeout, int misses, List<String> killCommand) {
    public HeartbeatSettings {
      killCommand = List.copyOf(killCommand);
    }

    /** Every 100 ms, 200 ms timeout, dead after 3 misses, connections ended with {@code ss}. */
    public static HeartbeatSettings defaults() {
      return new HeartbeatSettings(
          Duration.ofMillis(100), Duration.ofMillis(200), 3, List.of("ss"));
    }
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
