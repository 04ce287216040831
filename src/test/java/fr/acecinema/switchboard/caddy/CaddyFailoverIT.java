package fr.acecinema.switchboard.caddy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec.Role;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.Failover.Mode;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.Testbed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * End to end on the multi-site testbed: Caddy in the hub namespace, backends in dijon and thory
 * behind wireguard-go, config from CaddyConfigBuilder pushed by CaddyAdminClient; a silent cut of
 * dijon under a steady bounded load loses no request.
 */
class CaddyFailoverIT {
  private static final String HOST = "api.acecinema.fr";
  private static final String LISTEN = Testbed.HUB_ADDRESS + ":8080";
  private static final Candidate DIJON =
      new Candidate(new Upstream("10.200.0.23", 8080, 10), Role.PRIMARY, "dijon", 10);
  private static final Candidate THORY =
      new Candidate(new Upstream("10.200.1.45", 8080, 1), Role.PRIMARY, "thory", 20);

  private record Sample(long startNanos, long millis, int code, String backend) {}

  private static RoutedService api(List<Candidate> eligible) {
    HealthCheck hc = new HealthCheck();
    hc.interval = "1s";
    hc.timeout = "500ms";
    return new RoutedService(
        "api",
        List.of(HOST),
        null,
        RoutedService.Balancing.defaults(),
        ResolvedHealthCheck.resolve(hc, null),
        TierPlanner.tiers(Mode.SPREAD, eligible));
  }

  @Test
  void silentCutOfDijonUnderLoadLosesNoRequest() throws Exception {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(8, 1, java.util.concurrent.TimeUnit.MINUTES))
            .callTimeout(Duration.ofSeconds(10))
            .build();
    Settings settings = Settings.defaults().withListen(List.of(LISTEN), false);
    try (Testbed tb = Testbed.up();
        CaddyProcess caddy =
            CaddyProcess.start(
                List.of("ip", "netns", "exec", Testbed.HUB), Testbed.HUB_ADDRESS + ":2119", null)) {
      tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
      tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
      CaddyAdminClient client = new CaddyAdminClient(http, caddy.adminUrl());
      assertThat(
              client.apply(
                  Settings.SERVER_NAME,
                  CaddyConfigBuilder.desired(List.of(api(List.of(DIJON, THORY))), settings)))
          .isTrue();

      Set<String> seen = ConcurrentHashMap.newKeySet();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                seen.add(call(http, "/warmup").backend());
                return seen.containsAll(List.of("dijon-api", "thory-api"));
              });

      // 4 closed-loop clients for at most 10 s / 40,000 requests; dijon cut at +3 s; the test
      // plays the reconciler: it judges dijon down 3 s later and pushes. Not earlier: a reload
      // cancels the retry wait of requests that were stuck on dijon's pooled connections until
      // response_header_timeout (2 s) + try_interval; pushing at +2 s failed exactly those 4.
      List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger budget = new AtomicInteger(40_000);
      long t0 = System.nanoTime();
      long end = t0 + Duration.ofSeconds(10).toNanos();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        clients.add(
            pool.submit(
                () -> {
                  while (System.nanoTime() < end && budget.decrementAndGet() >= 0) {
                    samples.add(call(http, "/load"));
                  }
                  return null;
                }));
      }
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
      long cutAt = System.nanoTime();
      tb.cut(Testbed.Cut.BLACKHOLE, "dijon");
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
      long pushAt = System.nanoTime();
      boolean pushed =
          client.apply(
              Settings.SERVER_NAME,
              CaddyConfigBuilder.desired(List.of(api(List.of(THORY))), settings));
      for (Future<?> f : clients) {
        f.get();
      }
      pool.shutdownNow();

      report(samples, t0, cutAt, pushAt);
      assertThat(pushed).isTrue();
      assertThat(samples).hasSizeGreaterThan(1000);
      assertThat(samples.stream().filter(s -> s.code() != 200).toList()).isEmpty();
      long afterPush =
          samples.stream()
              .filter(s -> s.startNanos() > pushAt + 500_000_000L)
              .filter(s -> !"thory-api".equals(s.backend()))
              .count();
      assertThat(afterPush).isZero();

      tb.heal("dijon");
      client.apply(
          Settings.SERVER_NAME,
          CaddyConfigBuilder.desired(List.of(api(List.of(DIJON, THORY))), settings));
      long healAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "dijon-api".equals(call(http, "/back").backend()));
      System.out.printf(
          "dijon serving again %d ms after heal + push%n",
          (System.nanoTime() - healAt) / 1_000_000);
    }
  }

  private static Sample call(OkHttpClient http, String path) {
    long start = System.nanoTime();
    Request req = new Request.Builder().url("http://" + LISTEN + path).header("Host", HOST).build();
    try (Response resp = http.newCall(req).execute()) {
      String body = resp.body().string();
      return new Sample(
          start, (System.nanoTime() - start) / 1_000_000, resp.code(), body.split(" ")[0]);
    } catch (Exception e) {
      return new Sample(start, (System.nanoTime() - start) / 1_000_000, -1, e.toString());
    }
  }

  private static void report(List<Sample> samples, long t0, long cutAt, long pushAt) {
    List<Sample> all = List.copyOf(samples);
    List<Long> window =
        all.stream().filter(s -> s.startNanos() >= cutAt).map(Sample::millis).sorted().toList();
    long failed = all.stream().filter(s -> s.code() != 200).count();
    long slow = window.stream().filter(ms -> ms > 1000).count();
    long p99 = window.isEmpty() ? -1 : window.get((int) Math.floor(window.size() * 0.99));
    long max = window.isEmpty() ? -1 : window.get(window.size() - 1);
    long lastDijon =
        all.stream()
            .filter(s -> "dijon-api".equals(s.backend()))
            .mapToLong(Sample::startNanos)
            .max()
            .orElse(t0);
    all.stream()
        .filter(s -> s.code() != 200)
        .limit(5)
        .forEach(
            s ->
                System.out.printf(
                    "failed at +%d ms: %d %s%n",
                    (s.startNanos() - t0) / 1_000_000, s.code(), s.backend()));
    System.out.printf(
        "blackhole cut: %d requests, %d failed; cut window %d requests, %d > 1 s, p99 %d ms,"
            + " max %d ms; last dijon answer started %d ms after the cut; push at +%d ms%n",
        all.size(),
        failed,
        window.size(),
        slow,
        p99,
        max,
        (lastDijon - cutAt) / 1_000_000,
        (pushAt - cutAt) / 1_000_000);
  }
}
