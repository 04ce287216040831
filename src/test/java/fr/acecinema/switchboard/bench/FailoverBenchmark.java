package fr.acecinema.switchboard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.HubOperator;
import fr.acecinema.switchboard.testbed.OpenLoad;
import fr.acecinema.switchboard.testbed.SiteDrill;
import fr.acecinema.switchboard.testbed.SiteDrill.Result;
import fr.acecinema.switchboard.testbed.Testbed;
import fr.acecinema.switchboard.testbed.TestbedManifests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/**
 * Whole-site failover drill on the multi-site testbed, four Caddy configurations side by side: the
 * seed's phase-I example made valid, the best hand-written Caddyfile, and Switchboard's — the real
 * operator ({@code target/switchboard.jar run}) inside the hub namespace, fed manifests — once on
 * the manifests a user writes without tuning anything ({@code switchboard} arm: sites with a subnet
 * and a priority, {@code healthCheck: {path: /health}}, weights 10/1) and once tuned for speed
 * ({@code sb-tuned}). Open loop: a fixed arrival rate (default 200/s) whatever the answers do; a
 * request fails on an error, a non-2xx answer or no answer within 5 s. Per arm and cut mode
 * (blackhole, then off): steady window, cut of dijon (weight 10, thory weight 1), heal; prints
 * per-window latency, failures, time until traffic fully moved (from Caddy's debug log: the last
 * request sent to or hung on dijon), time until dijon serves again after heal, and Caddy config
 * loads (see {@link SiteDrill}).
 *
 * <p>Run as root: {@code bin/bench failover [rate=200] [cutSeconds=20]}, which also builds the jar
 * the Switchboard arm runs (see bench/README.md).
 */
public final class FailoverBenchmark {
  private static final String HOST = "api.acecinema.fr";
  private static final String LISTEN = Testbed.HUB_ADDRESS + ":8080";
  private static final String URL = "http://" + LISTEN + "/load";
  private static final String ADMIN = Testbed.HUB_ADDRESS + ":2119";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
  private static final List<String> HUB = List.of("ip", "netns", "exec", Testbed.HUB);

  /** Switchboard's service: what a user declares for a fast API (see docs/performance.md). */
  public static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(250);

  /** A Caddy configuration under test. */
  public interface Arm extends AutoCloseable {
    String name();

    /** Starts Caddy (debug log on) with this arm's configuration. */
    void start() throws Exception;

    CaddyProcess caddy();

    @Override
    void close();
  }

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int cutSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    List<Result> results = new ArrayList<>();
    OkHttpClient http = OpenLoad.client(CLIENT_TIMEOUT);
    try (Testbed tb = Testbed.up()) {
      tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
      tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
      List<Arm> arms =
          List.of(
              new StaticArm("seed-phase1", Path.of("bench/caddy/seed-phase1.Caddyfile")),
              new StaticArm("expert", Path.of("bench/caddy/expert.Caddyfile")),
              SwitchboardArm.defaults(),
              SwitchboardArm.tuned());
      for (Arm arm : arms) {
        try (arm) {
          arm.start();
          for (Testbed.Cut mode : Testbed.Cut.values()) {
            Result r = drill(tb, http, arm, mode, rate, cutSeconds);
            results.add(r);
            print(List.of(r));
          }
        }
      }
    } finally {
      http.dispatcher().executorService().shutdownNow();
      http.connectionPool().evictAll();
    }
    System.out.println();
    System.out.printf("rate %d/s, cut %d s, client timeout %d s%n", rate, cutSeconds, 5);
    print(results);
    System.exit(0);
  }

  private static void print(List<Result> results) {
    for (Result r : results) {
      System.out.printf("%-12s %-9s steady %s%n", r.arm(), r.mode(), r.steady());
      System.out.printf("%-12s %-9s cut    %s%n", "", "", r.cut());
      System.out.printf("%-12s %-9s healed %s%n", "", "", r.healed());
      System.out.printf(
          "%-12s %-9s moved after %s (last slow/failed/dijon request: %s), %d cut-window"
              + " requests sent to dijon; dijon back %s after heal; %d config loads%n",
          "",
          "",
          r.movedMillis() < 0 ? "never" : r.movedMillis() + " ms",
          r.slowMovedMillis() < 0 ? "never" : r.slowMovedMillis() + " ms",
          r.sentToCutSite(),
          r.backMillis() < 0 ? "never" : r.backMillis() + " ms",
          r.loads());
      r.failures().forEach((k, n) -> System.out.printf("%-22s %d failed: %s%n", "", n, k));
    }
  }

  /**
   * One drill: 5 s steady, cut dijon for {@code cutSeconds}, heal, 10 s more; open-loop load at
   * {@code rate} requests/s throughout (bounded by the drill's duration).
   */
  public static Result drill(
      Testbed tb, OkHttpClient http, Arm arm, Testbed.Cut mode, int rate, int cutSeconds) {
    return SiteDrill.run(
        arm.name(),
        tb,
        arm.caddy(),
        http,
        URL,
        HOST,
        mode,
        "dijon",
        "10.200.0.",
        "dijon-",
        Set.of("dijon-api", "thory-api"),
        new SiteDrill.Plan(
            rate,
            Duration.ofSeconds(5),
            Duration.ofSeconds(cutSeconds),
            Duration.ofSeconds(10),
            CLIENT_TIMEOUT));
  }

  /** A hand-written Caddyfile, adapted inside the hub namespace (adapt starts health checks). */
  static final class StaticArm implements Arm {
    private final String name;
    private final Path caddyfile;
    private CaddyProcess caddy;

    StaticArm(String name, Path caddyfile) {
      this.name = name;
      this.caddyfile = caddyfile;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void start() throws Exception {
      List<String> cmd = new ArrayList<>(HUB);
      cmd.addAll(
          List.of(
              "/usr/bin/caddy",
              "adapt",
              "--config",
              caddyfile.toAbsolutePath().toString(),
              "--adapter",
              "caddyfile"));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("caddy adapt " + caddyfile + " failed");
      }
      ObjectNode config = (ObjectNode) new ObjectMapper().readTree(json);
      caddy = CaddyProcess.start(HUB, ADMIN, (ObjectNode) config.get("apps"), true);
    }

    @Override
    public CaddyProcess caddy() {
      return caddy;
    }

    @Override
    public void close() {
      if (caddy != null) {
        caddy.close();
      }
    }
  }

  /**
   * Switchboard: an empty Caddy in the hub and the real operator beside it, on manifests declaring
   * the two sites, the api service and its two backends (dijon weight 10, thory weight 1).
   */
  public static final class SwitchboardArm implements Arm {
    private final String name;
    private final String sites;
    private final String service;
    private Path dir;
    private CaddyProcess caddy;
    private HubOperator operator;

    private SwitchboardArm(String name, String sites, String service) {
      this.name = name;
      this.sites = sites;
      this.service = service;
    }

    /** Nothing tuned: what a user writes first. The product's figures are this arm's. */
    public static SwitchboardArm defaults() {
      return new SwitchboardArm(
          "switchboard",
          TestbedManifests.plainSite("dijon", 0, 10)
              + "---\n"
              + TestbedManifests.plainSite("thory", 1, 20),
          TestbedManifests.service("api", HOST, "  healthCheck:\n    path: /health\n"));
    }

    /**
     * Tuned for speed: the sites as WireGuard peers ({@code trafficTimeout} 2.5 s: the testbed's
     * sites keep alive every second), health checks every 50 ms with a 40 ms timeout and one
     * strike, {@code responseTimeout} 250 ms, {@code tryInterval} 25 ms, {@code dialTimeout} 250
     * ms.
     */
    public static SwitchboardArm tuned() {
      return new SwitchboardArm(
          "sb-tuned",
          TestbedManifests.site("dijon", 0, 10) + "---\n" + TestbedManifests.site("thory", 1, 20),
          apiService());
    }

    @Override
    public String name() {
      return name;
    }

    /** The api service of the tuned arm, as a user would declare it for a fast API. */
    public static String apiService() {
      return TestbedManifests.service(
          "api",
          HOST,
          """
            healthCheck:
              path: /health
              interval: 50ms
              timeout: 40ms
              healthyThreshold: 1
              unhealthyThreshold: 1
            loadBalancing:
              policy: random
              tryDuration: 5s
              tryInterval: 25ms
              dialTimeout: 250ms
              responseTimeout: 250ms
          """);
    }

    @Override
    public void start() throws Exception {
      dir = Files.createTempDirectory("sb-bench-manifests-");
      TestbedManifests m = new TestbedManifests(dir);
      m.write("sites.yaml", sites);
      m.write(
          "api.yaml",
          service,
          TestbedManifests.backend("dijon-api", "api", "dijon", "10.200.0.23", 10, ""),
          TestbedManifests.backend("thory-api", "api", "thory", "10.200.1.45", 1, ""));
      caddy = CaddyProcess.start(HUB, ADMIN, null, true);
      operator = HubOperator.start(dir, "http://" + ADMIN, LISTEN);
    }

    @Override
    public CaddyProcess caddy() {
      return caddy;
    }

    @Override
    public void close() {
      if (operator != null) {
        operator.close();
      }
      if (caddy != null) {
        caddy.close();
      }
      if (dir != null) {
        try (var files = Files.walk(dir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException ignored) {
          // best effort
        }
      }
    }
  }
}
