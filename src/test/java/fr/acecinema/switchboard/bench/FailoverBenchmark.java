package fr.acecinema.switchboard.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec.Role;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.Failover.Mode;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.LoadBalancing.Policy;
import fr.acecinema.switchboard.api.v1alpha1.WireGuardPeer;
import fr.acecinema.switchboard.caddy.CaddyAdminClient;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.CaddyException;
import fr.acecinema.switchboard.caddy.Candidate;
import fr.acecinema.switchboard.caddy.RoutedService;
import fr.acecinema.switchboard.caddy.Settings;
import fr.acecinema.switchboard.caddy.TierPlanner;
import fr.acecinema.switchboard.caddy.Upstream;
import fr.acecinema.switchboard.runtime.ResourceKey;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.Testbed;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.WireGuardReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Whole-site failover drill on the multi-site testbed, three Caddy configurations side by side: the
 * seed's phase-I example made valid, the best hand-written Caddyfile, and Switchboard's. Open loop:
 * a fixed arrival rate (default 200/s) whatever the answers do; a request fails on an error, a
 * non-2xx answer or no answer within 5 s. Per arm and cut mode (blackhole, then off): steady
 * window, cut of dijon (weight 10, thory weight 1), heal; prints per-window latency, failures, time
 * until traffic fully moved, time until dijon serves again after heal, and Caddy config loads.
 *
 * <p>Run as root: {@code mvn -B -o test-compile exec:java}-free, e.g. {@code java -cp
 * target/test-classes:target/classes:$(cat cp.txt) fr.acecinema.switchboard.bench.FailoverBenchmark
 * [rate] [cutSeconds]} (see bench/README.md).
 *
 * <p>The Switchboard arm is driven through the real components (TierPlanner, CaddyConfigBuilder,
 * CaddyAdminClient, TunnelMonitor over {@code ip netns exec sbhub wg}); a small loop here stands in
 * for the router reconciler: a site whose tunnel is judged down leaves the config in one push.
 */
public final class FailoverBenchmark {
  private static final String HOST = "api.acecinema.fr";
  private static final String LISTEN = Testbed.HUB_ADDRESS + ":8080";
  private static final String ADMIN = Testbed.HUB_ADDRESS + ":2119";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
  private static final long AFFECTED_MILLIS = 200;
  private static final List<String> HUB = List.of("ip", "netns", "exec", Testbed.HUB);

  /** Switchboard's service: what a user declares for a fast API (see docs/performance.md). */
  public static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(250);

  private record Sample(long start, long end, int code, String backend) {
    long millis() {
      return (end - start) / 1_000_000;
    }

    boolean failed() {
      return code < 200 || code > 299;
    }
  }

  /** One row of the result table. */
  public record Result(
      String arm,
      Testbed.Cut mode,
      Window steady,
      Window cut,
      Window healed,
      long movedMillis,
      long backMillis,
      long loads) {}

  /** Figures of one window. */
  public record Window(
      int requests, long failed, long p50, long p99, long max, long overOneSecond) {
    static Window of(List<Sample> samples) {
      List<Long> ms = samples.stream().map(Sample::millis).sorted().toList();
      if (ms.isEmpty()) {
        return new Window(0, 0, -1, -1, -1, 0);
      }
      return new Window(
          ms.size(),
          samples.stream().filter(Sample::failed).count(),
          ms.get(ms.size() / 2),
          ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1)),
          ms.get(ms.size() - 1),
          ms.stream().filter(m -> m > 1000).count());
    }

    @Override
    public String toString() {
      return String.format(
          "%5d req %4d failed  p50 %4d  p99 %5d  max %5d ms  >1s %4d",
          requests, failed, p50, p99, max, overOneSecond);
    }
  }

  /** A Caddy configuration under test. */
  public interface Arm extends AutoCloseable {
    String name();

    /** Starts Caddy with this arm's configuration. */
    void start() throws Exception;

    /** Config changes pushed to Caddy so far (each one a full reload in 2.6.2). */
    long loads();

    @Override
    void close();
  }

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int cutSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    List<Result> results = new ArrayList<>();
    OkHttpClient http = client();
    try (Testbed tb = Testbed.up()) {
      tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
      tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
      List<Arm> arms =
          List.of(
              new StaticArm("seed-phase1", Path.of("bench/caddy/seed-phase1.Caddyfile")),
              new StaticArm("expert", Path.of("bench/caddy/expert.Caddyfile")),
              new SwitchboardArm(http));
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
          "%-12s %-9s moved after %s, dijon back %s after heal, %d config loads during the drill%n",
          "",
          "",
          r.movedMillis() < 0 ? "never" : r.movedMillis() + " ms",
          r.backMillis() < 0 ? "never" : r.backMillis() + " ms",
          r.loads());
    }
  }

  public static OkHttpClient client() {
    Dispatcher dispatcher = new Dispatcher();
    // Open loop: a request stuck for 5 s must not delay the ones after it.
    dispatcher.setMaxRequests(5000);
    dispatcher.setMaxRequestsPerHost(5000);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(200, 1, TimeUnit.MINUTES))
        .callTimeout(CLIENT_TIMEOUT)
        .build();
  }

  /**
   * One drill: 5 s steady, cut dijon for {@code cutSeconds}, heal, 10 s more; open-loop load at
   * {@code rate} requests/s throughout (bounded by the drill's duration).
   */
  public static Result drill(
      Testbed tb, OkHttpClient http, Arm arm, Testbed.Cut mode, int rate, int cutSeconds)
      throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              seen.add(callBlocking(http));
              return seen.containsAll(List.of("dijon-api", "thory-api"));
            });
    ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    AtomicInteger inFlight = new AtomicInteger();
    ScheduledExecutorService arrivals = Executors.newSingleThreadScheduledExecutor();
    long loadsBefore = arm.loads();
    long t0 = System.nanoTime();
    long periodNanos = 1_000_000_000L / rate;
    arrivals.scheduleAtFixedRate(
        () -> fire(http, samples, inFlight), 0, periodNanos, TimeUnit.NANOSECONDS);
    long cutAt;
    long healAt;
    try {
      pause(Duration.ofSeconds(5));
      cutAt = System.nanoTime();
      tb.cut(mode, "dijon");
      pause(Duration.ofSeconds(cutSeconds));
      healAt = System.nanoTime();
      tb.heal("dijon");
      pause(Duration.ofSeconds(10));
    } finally {
      arrivals.shutdownNow();
    }
    await().atMost(CLIENT_TIMEOUT.plusSeconds(2)).until(() -> inFlight.get() == 0);
    List<Sample> all = List.copyOf(samples);
    all.stream()
        .filter(Sample::failed)
        .collect(
            java.util.stream.Collectors.groupingBy(
                s -> s.code() + " " + s.backend().replaceAll("[0-9.:]+", "#"),
                java.util.stream.Collectors.counting()))
        .forEach((k, n) -> System.out.printf("  %s %s: %d failed: %s%n", arm.name(), mode, n, k));
    List<Sample> steady = all.stream().filter(s -> s.start() < cutAt).toList();
    List<Sample> cut = all.stream().filter(s -> s.start() >= cutAt && s.start() < healAt).toList();
    List<Sample> healed = all.stream().filter(s -> s.start() >= healAt).toList();
    long moved =
        cut.stream()
            .filter(
                s -> s.failed() || s.millis() > AFFECTED_MILLIS || "dijon-api".equals(s.backend()))
            .mapToLong(Sample::start)
            .max()
            .stream()
            .map(last -> (last - cutAt) / 1_000_000)
            .findFirst()
            .orElse(0);
    if (moved > (healAt - cutAt) / 1_000_000 - 1000) {
      moved = -1; // still affected in the last second of the cut: it never settled
    }
    long back =
        healed.stream()
            .filter(s -> "dijon-api".equals(s.backend()))
            .mapToLong(s -> (s.start() - healAt) / 1_000_000)
            .min()
            .orElse(-1);
    return new Result(
        arm.name(),
        mode,
        Window.of(steady),
        Window.of(cut),
        Window.of(healed),
        moved,
        back,
        arm.loads() - loadsBefore);
  }

  private static void pause(Duration d) {
    await().pollDelay(d).atMost(d.plusSeconds(1)).until(() -> true);
  }

  private static Request request() {
    return new Request.Builder().url("http://" + LISTEN + "/load").header("Host", HOST).build();
  }

  private static void fire(
      OkHttpClient http, ConcurrentLinkedQueue<Sample> samples, AtomicInteger inFlight) {
    long start = System.nanoTime();
    inFlight.incrementAndGet();
    http.newCall(request())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                samples.add(new Sample(start, System.nanoTime(), -1, e.toString()));
                inFlight.decrementAndGet();
              }

              @Override
              public void onResponse(Call call, Response response) {
                try (response) {
                  String body = response.body().string();
                  samples.add(
                      new Sample(start, System.nanoTime(), response.code(), body.split(" ")[0]));
                } catch (IOException e) {
                  samples.add(new Sample(start, System.nanoTime(), -1, e.toString()));
                } finally {
                  inFlight.decrementAndGet();
                }
              }
            });
  }

  private static String callBlocking(OkHttpClient http) {
    try (Response r = http.newCall(request()).execute()) {
      return r.body().string().split(" ")[0];
    } catch (IOException e) {
      return "error";
    }
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
      caddy = CaddyProcess.start(HUB, ADMIN, (ObjectNode) config.get("apps"));
    }

    @Override
    public long loads() {
      return 0; // started with its config; nothing is pushed afterwards
    }

    @Override
    public void close() {
      if (caddy != null) {
        caddy.close();
      }
    }
  }

  /**
   * Switchboard's configuration, pushed through the admin API; the tunnel monitor judges the sites
   * and a site judged down leaves in one push.
   */
  public static final class SwitchboardArm implements Arm {
    private static final Map<String, Candidate> SITES =
        Map.of(
            "dijon",
            new Candidate(new Upstream("10.200.0.23", 8080, 10), Role.PRIMARY, "dijon", 100),
            "thory",
            new Candidate(new Upstream("10.200.1.45", 8080, 1), Role.PRIMARY, "thory", 100));
    private final OkHttpClient http;
    private final Settings settings = Settings.defaults().withListen(List.of(LISTEN), false);
    private final Map<String, Boolean> up = new ConcurrentHashMap<>();
    private final AtomicInteger pushes = new AtomicInteger();
    private CaddyProcess caddy;
    private CaddyAdminClient admin;
    private TunnelMonitor monitor;

    public SwitchboardArm(OkHttpClient http) {
      this.http = http;
    }

    @Override
    public String name() {
      return "switchboard";
    }

    static RoutedService service(List<Candidate> eligible) {
      HealthCheck hc = new HealthCheck();
      hc.path = "/health";
      hc.interval = "50ms";
      hc.timeout = "50ms";
      return new RoutedService(
          "api",
          List.of(HOST),
          null,
          new RoutedService.Balancing(
              Policy.RANDOM,
              Duration.ofSeconds(5),
              Duration.ofMillis(25),
              Duration.ofMillis(250),
              RESPONSE_TIMEOUT),
          ResolvedHealthCheck.resolve(hc, null),
          TierPlanner.tiers(Mode.SPREAD, eligible));
    }

    @Override
    public void start() throws Exception {
      caddy = CaddyProcess.start(HUB, ADMIN, null);
      admin = new CaddyAdminClient(http, caddy.adminUrl());
      SITES.keySet().forEach(s -> up.put(s, true));
      push();
      List<String> wg = new ArrayList<>(HUB);
      wg.add("wg");
      monitor =
          new TunnelMonitor(
              new WireGuardReader(wg, Duration.ofSeconds(1)),
              Clock.systemUTC(),
              Duration.ofMillis(100),
              (site, verdict) -> {
                System.out.printf(
                    "  tunnel %s: %s %s%n", site.name(), verdict.reason(), verdict.message());
                // Site Ready = tunnel up and a healthy backend: probe before taking it back.
                if (verdict.up()) {
                  awaitHealthy(SITES.get(site.name()).upstream());
                }
                up.put(site.name(), verdict.up());
                push();
              });
      for (String site : SITES.keySet()) {
        WireGuardPeer peer = new WireGuardPeer();
        peer.interfaceName = "sbtbwg-hub";
        peer.publicKey = Testbed.publicKey(site);
        // The testbed's sites keep alive every second: 2.5 s of silence is a dead tunnel.
        peer.trafficTimeout = "2500ms";
        monitor.track(new ResourceKey("Site", site), peer);
      }
      monitor.start();
    }

    /** Probes the backend from the hub (where Switchboard's prober runs), at most 5 s. */
    private static void awaitHealthy(Upstream u) {
      List<String> cmd = new ArrayList<>(HUB);
      cmd.addAll(
          List.of(
              "curl", "-fsS", "-m", "0.5", "-o", "/dev/null", "http://" + u.dial() + "/health"));
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> new ProcessBuilder(cmd).start().waitFor() == 0);
    }

    private synchronized void push() {
      List<Candidate> eligible =
          SITES.entrySet().stream()
              .filter(e -> up.getOrDefault(e.getKey(), true))
              .map(Map.Entry::getValue)
              .toList();
      try {
        if (admin.apply(
            Settings.SERVER_NAME,
            CaddyConfigBuilder.desired(List.of(service(eligible)), settings))) {
          pushes.incrementAndGet();
          System.out.printf("  pushed: eligible sites %s%n", up);
        }
      } catch (CaddyException e) {
        System.err.println("push failed: " + e.getMessage());
      }
    }

    @Override
    public long loads() {
      return pushes.get();
    }

    @Override
    public void close() {
      if (monitor != null) {
        monitor.close();
      }
      if (caddy != null) {
        caddy.close();
      }
    }
  }
}
