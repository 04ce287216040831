package fr.acecinema.switchboard.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Phase I on the multi-site testbed with the real operator: {@code target/switchboard.jar run}
 * inside the hub namespace watches a manifest directory (two Sites as WireGuard peers of the hub,
 * Services, Backends on 10.200.0.x / 10.200.1.x served by {@code testbed/backend.py} in the site
 * namespaces), probes the backends over the tunnels and pushes to a real Caddy 2.6.2 in the hub.
 * Load reaches Caddy through the hub's veth only. One testbed, one Caddy and one operator for the
 * class; every test first waits until its service answers from the backends it expects.
 *
 * <p>Needs root: fails saying so otherwise.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiteFailoverIT {
  private static final String LISTEN = Testbed.HUB_ADDRESS + ":8080";
  private static final String ADMIN = Testbed.HUB_ADDRESS + ":2119";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
  private static final List<String> HUB = List.of("ip", "netns", "exec", Testbed.HUB);

  private static Testbed tb;
  private static CaddyProcess caddy;
  private static HubOperator operator;
  private static Path dir;
  private static TestbedManifests manifests;
  private static OkHttpClient http;

  @BeforeAll
  static void up() throws Exception {
    tb = Testbed.up();
    try {
      dir = Files.createTempDirectory("sb-testbed-manifests-");
      manifests = new TestbedManifests(dir);
      startBackends();
      writeManifests();
      caddy = CaddyProcess.start(HUB, ADMIN, null, true);
      operator = HubOperator.start(dir, "http://" + ADMIN, LISTEN);
      http = OpenLoad.client(CLIENT_TIMEOUT);
    } catch (RuntimeException | Error e) {
      down();
      throw e;
    }
  }

  @AfterAll
  static void down() {
    keepLogs();
    if (operator != null) {
      operator.close();
    }
    if (caddy != null) {
      caddy.close();
    }
    if (http != null) {
      http.dispatcher().executorService().shutdownNow();
      http.connectionPool().evictAll();
    }
    if (tb != null) {
      tb.close();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (java.io.IOException ignored) {
        // best effort: a temp dir left behind is harmless
      }
    }
  }

  /** Operator and Caddy logs end up in target/testbed-logs/ (for a failure's post-mortem). */
  private static void keepLogs() {
    try {
      Path logs = Files.createDirectories(Path.of("target", "testbed-logs"));
      if (operator != null) {
        Files.writeString(logs.resolve("SiteFailoverIT-operator.log"), operator.log());
      }
      if (caddy != null) {
        Files.copy(
            caddy.logFile(),
            logs.resolve("SiteFailoverIT-caddy.log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (java.io.IOException | RuntimeException e) {
      System.err.println("could not keep the testbed logs: " + e);
    }
  }

  private static void startBackends() {
    String[][] backends = {
      {"dijon", "10.200.0.23", "dijon-api"},
      {"thory", "10.200.1.45", "thory-api"},
      {"dijon", "10.200.0.24", "dijon-split"},
      {"thory", "10.200.1.46", "thory-split"},
      {"dijon", "10.200.0.25", "dijon-prio"},
      {"thory", "10.200.1.47", "thory-prio"},
      {"dijon", "10.200.0.26", "blue"},
      {"dijon", "10.200.0.27", "green"},
      {"dijon", "10.200.0.28", "drain-a"},
      {"thory", "10.200.1.48", "drain-b"},
      {"dijon", "10.200.0.29", "web"},
      {"thory", "10.200.1.49", "app-api"},
      {"dijon", "10.200.0.30", "app-ws"},
    };
    for (String[] b : backends) {
      tb.startBackend(b[0], b[1], 8080, b[2]);
    }
  }

  // Quicker than the default 2 s so the per-backend drills (a process stopped while its host lives)
  // do not spend most of their time waiting; two strikes as by default.
  private static final String CHECK =
      """
        healthCheck:
          path: /health
          interval: 250ms
          timeout: 200ms
          healthyThreshold: 1
          unhealthyThreshold: 2
      """;

  private static void writeManifests() throws Exception {
    manifests.write(
        "sites.yaml", TestbedManifests.site("dijon", 0, 10), TestbedManifests.site("thory", 1, 20));
    // The whole-site drill runs on defaults, as a user writes it: nothing tuned.
    manifests.write(
        "api.yaml",
        TestbedManifests.service("api", "api.acecinema.fr", "  healthCheck:\n    path: /health\n"),
        TestbedManifests.backend("dijon-api", "api", "dijon", "10.200.0.23", 10, ""),
        TestbedManifests.backend("thory-api", "api", "thory", "10.200.1.45", 1, ""));
    // round_robin, not random: random drew the 1-weight backend 2 σ low in two of two loopback
    // runs (docs/caddy.md); the split under test is the weights', not the dice's.
    manifests.write(
        "split.yaml",
        TestbedManifests.service(
            "split", "split.acecinema.fr", CHECK + "  loadBalancing:\n    policy: round_robin\n"),
        TestbedManifests.backend("dijon-split", "split", "dijon", "10.200.0.24", 10, ""),
        TestbedManifests.backend("thory-split", "split", "thory", "10.200.1.46", 1, ""));
    manifests.write(
        "prio.yaml",
        TestbedManifests.service(
            "prio", "prio.acecinema.fr", CHECK + "  failover:\n    mode: priority\n"),
        TestbedManifests.backend("dijon-prio", "prio", "dijon", "10.200.0.25", 1, ""),
        TestbedManifests.backend("thory-prio", "prio", "thory", "10.200.1.47", 1, ""));
    manifests.write(
        "bluegreen.yaml",
        TestbedManifests.service("bg", "bg.acecinema.fr", CHECK),
        TestbedManifests.backend("blue", "bg", "dijon", "10.200.0.26", 1, ""),
        TestbedManifests.backend("green", "bg", "dijon", "10.200.0.27", 1, "  role: standby\n"));
    manifests.write(
        "drain.yaml",
        TestbedManifests.service(
            "drain", "drain.acecinema.fr", CHECK + "  loadBalancing:\n    policy: round_robin\n"),
        TestbedManifests.backend("drain-a", "drain", "dijon", "10.200.0.28", 1, ""),
        TestbedManifests.backend("drain-b", "drain", "thory", "10.200.1.48", 1, ""));
    manifests.write(
        "app.yaml",
        TestbedManifests.service("web", "app.acecinema.fr", CHECK),
        TestbedManifests.backend("web", "web", "dijon", "10.200.0.29", 1, ""),
        TestbedManifests.service("app-api", "app.acecinema.fr", "  pathPrefix: /api/\n" + CHECK),
        TestbedManifests.backend("app-api", "app-api", "thory", "10.200.1.49", 1, ""),
        TestbedManifests.service("app-ws", "app.acecinema.fr", "  pathPrefix: /ws/\n" + CHECK),
        TestbedManifests.backend("app-ws", "app-ws", "dijon", "10.200.0.30", 1, ""));
  }

  private static String url(String path) {
    return "http://" + LISTEN + path;
  }

  private static void awaitAnswers(String host, String... names) {
    operator.assertAlive();
    try {
      SiteDrill.awaitAnswers(http, url("/w"), host, Set.of(names), Duration.ofSeconds(30));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          e.getMessage()
              + "; last answer: "
              + SiteDrill.answer(http, url("/w"), host)
              + "; operator warnings:\n"
              + operator
                  .log()
                  .lines()
                  .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                  .limit(20)
                  .collect(java.util.stream.Collectors.joining("\n")),
          e);
    }
  }

  /**
   * Waits (at most 30 s) until 50 answers in a row come from {@code name}: the operator has
   * converged (a previous test's cut may have left the service on its next tier for a while).
   */
  private static void awaitOnly(String host, String name) {
    java.util.concurrent.atomic.AtomicInteger inARow =
        new java.util.concurrent.atomic.AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(10))
        .alias("50 answers in a row from " + name)
        .until(
            () -> {
              if (SiteDrill.answer(http, url("/w"), host).equals(name)) {
                return inARow.incrementAndGet() >= 50;
              }
              inARow.set(0);
              return false;
            });
  }

  // --- whole-site cuts

  @Order(10)
  @ParameterizedTest
  @EnumSource(Testbed.Cut.class)
  void cuttingAWholeSiteUnderLoadFailsNoRequestMovesTrafficAndTakesTheSiteBackAfterHeal(
      Testbed.Cut mode) throws Exception {
    awaitAnswers("api.acecinema.fr", "dijon-api", "thory-api");
    Set<String> siteReady = java.util.concurrent.ConcurrentHashMap.newKeySet();
    var watch = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    watch.scheduleWithFixedDelay(
        () -> {
          try {
            siteReady.add(manifests.condition("sites.yaml", "dijon", "Ready"));
          } catch (Exception e) {
            // a file being replaced: read it on the next round
          }
        },
        0,
        100,
        TimeUnit.MILLISECONDS);
    // A WebSocket to dijon (app-ws) across the cut: it must be ended, not left hanging.
    java.util.concurrent.atomic.AtomicLong streamEnded =
        new java.util.concurrent.atomic.AtomicLong();
    BlockingQueue<String> echoes = new ArrayBlockingQueue<>(4);
    WebSocket stream =
        http.newWebSocket(
            new Request.Builder()
                .url("ws://" + LISTEN + "/ws/echo")
                .header("Host", "app.acecinema.fr")
                .build(),
            new WebSocketListener() {
              @Override
              public void onMessage(WebSocket socket, String text) {
                echoes.add(text);
              }

              @Override
              public void onClosing(WebSocket socket, int code, String reason) {
                streamEnded.compareAndSet(0, System.nanoTime());
              }

              @Override
              public void onFailure(WebSocket socket, Throwable t, Response response) {
                streamEnded.compareAndSet(0, System.nanoTime());
              }
            });
    stream.send("before the cut");
    assertThat(echoes.poll(10, TimeUnit.SECONDS)).isEqualTo("app-ws: before the cut");
    SiteDrill.Result r;
    try {
      r =
          SiteDrill.run(
              "switchboard",
              tb,
              caddy,
              http,
              url("/load"),
              "api.acecinema.fr",
              mode,
              "dijon",
              "10.200.0.",
              "dijon-",
              Set.of("dijon-api", "thory-api"),
              new SiteDrill.Plan(
                  200,
                  Duration.ofSeconds(3),
                  Duration.ofSeconds(8),
                  Duration.ofSeconds(6),
                  CLIENT_TIMEOUT));
    } finally {
      watch.shutdownNow();
      stream.cancel();
    }
    System.out.printf(
        "SiteFailoverIT %s: dijon Ready as written by the operator: %s%n", mode, siteReady);
    System.out.printf(
        "SiteFailoverIT %s: the WebSocket to dijon ended %d ms after the cut%n",
        mode, (streamEnded.get() - r.cutNanos()) / 1_000_000);
    System.out.printf(
        "SiteFailoverIT %s: steady %s%n  cut %s%n  healed %s%n  moved %d ms (slow/failed/dijon:"
            + " %d ms), %d cut-window requests sent to dijon, back %d ms, %d loads, failures %s%n",
        mode,
        r.steady(),
        r.cut(),
        r.healed(),
        r.movedMillis(),
        r.slowMovedMillis(),
        r.sentToCutSite(),
        r.backMillis(),
        r.loads(),
        r.failures());

    assertThat(r.steady().requests()).isGreaterThan(400);
    assertThat(r.cut().requests()).isGreaterThan(1200);
    assertThat(r.failed()).as("failed requests %s", r.failures()).isZero();
    assertThat(r.movedMillis())
        .as("no request sent to dijon in the last 5 s of the cut")
        .isBetween(0L, 3000L);
    assertThat(r.backMillis()).as("dijon serves again after heal").isBetween(0L, 5000L);
    assertThat(r.cut().max())
        .as("no request waited out the default 2 s response timeout (its socket was ended)")
        .isLessThan(2000);
    assertThat(r.loads()).as("Caddy config loads during the drill").isZero();
    assertThat(streamEnded.get())
        .as("the WebSocket to the cut site was ended during the cut")
        .isBetween(r.cutNanos(), r.cutNanos() + TimeUnit.SECONDS.toNanos(8));
    // The operator saw the cut and wrote it into dijon's Site: the heartbeat finds it silent (an
    // "off" site's tunnel is judged down later, by its traffic timeout).
    assertThat(siteReady).contains("False/Unreachable").contains("True/BackendsReady");
  }

  // --- weights

  @Order(1)
  @Test
  void weightsTenToOneSplitAThousandRequestsWithinTenPercent() {
    awaitAnswers("split.acecinema.fr", "dijon-split", "thory-split");
    await().atMost(Duration.ofSeconds(20)).until(() -> upstreams("split") == 11);
    Map<String, Integer> served = new TreeMap<>();
    for (int i = 0; i < 1000; i++) {
      served.merge(SiteDrill.answer(http, url("/w"), "split.acecinema.fr"), 1, Integer::sum);
    }
    System.out.println("SiteFailoverIT weights 10/1 round_robin over 1000: " + served);
    assertThat(served.getOrDefault("dijon-split", 0)).isBetween(818, 1000);
    assertThat(served.getOrDefault("thory-split", 0)).isBetween(82, 100);
  }

  // --- priority failover, blue-green

  @Order(2)
  @Test
  void priorityFailoverMovesToTheNextSiteWithoutFailingAndReturns() throws Exception {
    awaitAnswers("prio.acecinema.fr", "dijon-prio");
    awaitOnly("prio.acecinema.fr", "dijon-prio");
    Shift s = stopAndRestart("prio.acecinema.fr", "dijon-prio", "thory-prio");
    assertThat(s.before())
        .as("only the best tier serves while healthy")
        .containsOnlyKeys("dijon-prio");
    s.assertMovedAndReturned("dijon-prio", "thory-prio");
  }

  @Order(3)
  @Test
  void blueGreenStandbyIdlesThenServesWhenThePrimaryStopsAndHandsBack() throws Exception {
    awaitAnswers("bg.acecinema.fr", "blue");
    awaitOnly("bg.acecinema.fr", "blue");
    Shift s = stopAndRestart("bg.acecinema.fr", "blue", "green");
    assertThat(s.before())
        .as("the standby idles while the primary is healthy")
        .containsOnlyKeys("blue");
    s.assertMovedAndReturned("blue", "green");
  }

  private record Shift(
      Map<String, Integer> before,
      List<OpenLoad.Sample> stopped,
      List<OpenLoad.Sample> restarted,
      long stopAt,
      long restartAt) {

    void assertMovedAndReturned(String primary, String next) {
      List<OpenLoad.Sample> all = new ArrayList<>(stopped);
      all.addAll(restarted);
      long lastPrimary =
          stopped.stream()
              .filter(x -> x.backend().equals(primary))
              .mapToLong(x -> (x.start() - stopAt) / 1_000_000)
              .max()
              .orElse(-1);
      long firstBack =
          restarted.stream()
              .filter(x -> x.backend().equals(primary))
              .mapToLong(x -> (x.start() - restartAt) / 1_000_000)
              .min()
              .orElse(-1);
      Map<String, Integer> stoppedBy = count(stopped);
      System.out.printf(
          "SiteFailoverIT %s -> %s: stopped window %s (last %s answer %d ms after the stop);"
              + " %s first back %d ms after the restart; restarted window %s%n",
          primary, next, stoppedBy, primary, lastPrimary, primary, firstBack, count(restarted));
      assertThat(all.stream().filter(OpenLoad.Sample::failed).toList())
          .as("failed requests")
          .isEmpty();
      assertThat(stoppedBy).as("stopped window").containsKey(next);
      assertThat(lastPrimary).as("nothing answered by the stopped primary").isLessThan(500L);
      assertThat(firstBack).as("traffic returns to %s", primary).isBetween(0L, 8000L);
      long end = restarted.getLast().start();
      assertThat(
              restarted.stream()
                  .filter(x -> end - x.start() < 1_000_000_000L)
                  .map(OpenLoad.Sample::backend)
                  .distinct()
                  .toList())
          .as("last second after the restart")
          .containsOnly(primary);
    }
  }

  /** Open-loop load (100/s): 2 s, primary stopped 5 s, restarted 10 s. */
  private Shift stopAndRestart(String host, String primary, String next) {
    OpenLoad load = OpenLoad.start(http, url("/s"), host, 100, Duration.ofSeconds(25));
    List<OpenLoad.Sample> all;
    long stopAt;
    long restartAt;
    try {
      load.awaitArrivals(Duration.ofSeconds(2));
      stopAt = System.nanoTime();
      tb.stopBackend(primary);
      load.awaitArrivals(Duration.ofSeconds(5));
      restartAt = System.nanoTime();
      tb.restartBackend(primary);
      load.awaitArrivals(Duration.ofSeconds(10));
    } finally {
      all = load.stop(CLIENT_TIMEOUT.plusSeconds(2));
    }
    long a = stopAt;
    long b = restartAt;
    // "Before" = answered before the stop: a request in flight when the primary dies is served by
    // the next tier (the refused attempt goes to the error route), as it should be.
    return new Shift(
        count(all.stream().filter(x -> x.end() < a).toList()),
        all.stream().filter(x -> x.start() >= a && x.start() < b).toList(),
        all.stream().filter(x -> x.start() >= b).toList(),
        a,
        b);
  }

  // --- drain

  @Order(4)
  @Test
  void drainTakesABackendOutUnderLoadWithoutFailingRequestsInFlight() throws Exception {
    awaitAnswers("drain.acecinema.fr", "drain-a", "drain-b");
    List<CompletableFuture<String>> slow = new ArrayList<>();
    OpenLoad load =
        OpenLoad.start(http, url("/d"), "drain.acecinema.fr", 100, Duration.ofSeconds(20));
    List<OpenLoad.Sample> all;
    long drainAt;
    try {
      load.awaitArrivals(Duration.ofSeconds(1));
      for (int i = 0; i < 10; i++) {
        slow.add(async("drain.acecinema.fr", "/slow/1500"));
      }
      drainAt = System.nanoTime();
      manifests.write(
          "drain.yaml",
          TestbedManifests.service(
              "drain", "drain.acecinema.fr", CHECK + "  loadBalancing:\n    policy: round_robin\n"),
          TestbedManifests.backend(
              "drain-a", "drain", "dijon", "10.200.0.28", 1, "  drain: true\n"),
          TestbedManifests.backend("drain-b", "drain", "thory", "10.200.1.48", 1, ""));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> manifests.condition("drain.yaml", "drain-a", "Ready").equals("False/Draining"));
      load.awaitArrivals(Duration.ofSeconds(3));
    } finally {
      all = load.stop(CLIENT_TIMEOUT.plusSeconds(2));
    }
    List<String> inFlight = new ArrayList<>();
    for (CompletableFuture<String> f : slow) {
      inFlight.add(f.get(10, TimeUnit.SECONDS));
    }
    long d = drainAt;
    long lastA =
        all.stream()
            .filter(x -> x.backend().equals("drain-a"))
            .mapToLong(x -> (x.start() - d) / 1_000_000)
            .max()
            .orElse(-1);
    System.out.printf(
        "SiteFailoverIT drain: %d requests, %s; in-flight slow answers %s; last drain-a answer"
            + " started %d ms after the edit; condition %s%n",
        all.size(),
        count(all),
        count(inFlight),
        lastA,
        manifests.condition("drain.yaml", "drain-a", "Ready"));
    assertThat(all.stream().filter(OpenLoad.Sample::failed).toList()).as("failed").isEmpty();
    assertThat(inFlight).allMatch(a -> a.equals("drain-a") || a.equals("drain-b"));
    assertThat(inFlight).contains("drain-a");
    long end = all.getLast().start();
    assertThat(
            all.stream()
                .filter(x -> end - x.start() < 2_000_000_000L)
                .map(OpenLoad.Sample::backend)
                .distinct()
                .toList())
        .containsOnly("drain-b");
  }

  // --- path routing, WebSocket

  @Order(5)
  @Test
  void routesPathsOfOneHostToBackendsOnBothSitesAndProxiesAWebSocket() throws Exception {
    awaitAnswers("app.acecinema.fr", "web");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> SiteDrill.answer(http, url("/api/x"), "app.acecinema.fr").equals("app-api"));
    await().until(() -> upstreams("app-ws") == 1);
    assertThat(body("/x")).isEqualTo("200 web /x");
    assertThat(body("/api/v1/films")).isEqualTo("200 app-api /api/v1/films");
    assertThat(SiteDrill.answer(http, url("/x"), "unknown.acecinema.fr")).isEqualTo("HTTP 404");

    BlockingQueue<String> messages = new ArrayBlockingQueue<>(4);
    WebSocket ws =
        http.newWebSocket(
            new Request.Builder()
                .url("ws://" + LISTEN + "/ws/echo")
                .header("Host", "app.acecinema.fr")
                .build(),
            new WebSocketListener() {
              @Override
              public void onMessage(WebSocket socket, String text) {
                messages.add(text);
              }

              @Override
              public void onFailure(WebSocket socket, Throwable t, Response response) {
                messages.add("failure: " + t + " " + (response == null ? "" : response.code()));
              }
            });
    try {
      ws.send("hello dijon");
      assertThat(messages.poll(10, TimeUnit.SECONDS)).isEqualTo("app-ws: hello dijon");
      ws.send("again");
      assertThat(messages.poll(10, TimeUnit.SECONDS)).isEqualTo("app-ws: again");
    } finally {
      ws.close(1000, "done");
    }
  }

  // --- helpers

  private static String body(String path) throws Exception {
    try (Response r =
        http.newCall(
                new Request.Builder().url(url(path)).header("Host", "app.acecinema.fr").build())
            .execute()) {
      return r.code() + " " + r.body().string().trim();
    }
  }

  private static CompletableFuture<String> async(String host, String path) {
    CompletableFuture<String> f = new CompletableFuture<>();
    http.newCall(new Request.Builder().url(url(path)).header("Host", host).build())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, java.io.IOException e) {
                f.complete("failed: " + e);
              }

              @Override
              public void onResponse(Call call, Response r) throws java.io.IOException {
                try (r) {
                  f.complete(
                      r.code() == 200 ? r.body().string().split(" ")[0] : "HTTP " + r.code());
                }
              }
            });
    return f;
  }

  private static Map<String, Integer> count(List<?> answers) {
    Map<String, Integer> m = new TreeMap<>();
    for (Object a : answers) {
      String k =
          a instanceof OpenLoad.Sample s
              ? (s.failed() ? s.code() + " " + s.backend() : s.backend())
              : a.toString();
      m.merge(k, 1, Integer::sum);
    }
    return m;
  }

  /** Upstream entries (weighted copies included) of a service's main route in Caddy, 0 if none. */
  private static int upstreams(String service) throws Exception {
    try (Response r =
        http.newCall(
                new Request.Builder()
                    .url("http://" + ADMIN + "/config/apps/http/servers/switchboard")
                    .build())
            .execute()) {
      var server = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body().string());
      for (var route : server.path("routes")) {
        if (route.path("@id").asText().equals("switchboard-route-" + service)) {
          return route.at("/handle/0/upstreams").size();
        }
      }
      return 0;
    }
  }
}
