package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.caddy.DnsWire;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router end to end: the whole operator on a temp directory, real loopback backends, a real
 * Caddy 2.6.2 on loopback with its own admin port (never :80 / :2019). Figures are printed.
 */
class RouterIT {
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  // Retries a request only when a pooled keep-alive connection turns out closed, as browsers do.
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .callTimeout(Duration.ofSeconds(10))
          .retryOnConnectionFailure(true)
          .dispatcher(wideDispatcher())
          .build();
  private final OkHttpClient raw = client.newBuilder().retryOnConnectionFailure(false).build();
  private final OkHttpClient adminClient = client;
  private CaddyProcess caddy;
  private Switchboard operator;
  private int caddyPort;

  @BeforeEach
  void sites() throws IOException {
    caddyPort = CaddyProcess.freePort();
    write(
        "sites.yaml",
        site("site-a", "127.0.40.0/24", 10, false)
            + "---\n"
            + site("site-b", "127.0.41.0/24", 20, false));
  }

  @AfterEach
  void stop() throws Exception {
    if (operator != null) {
      operator.close();
    }
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    if (caddy != null) {
      caddy.close();
    }
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  // --- tests

  @Test
  void routesAServiceThroughCaddyByHostAndLeavesForeignServersAlone() throws Exception {
    int foreignPort = CaddyProcess.freePort();
    ObjectNode apps =
        (ObjectNode)
            JSON.readTree(
                """
                {"http":{"servers":{"foreign":{"listen":["127.0.0.1:%d"],
                 "routes":[{"handle":[{"handler":"static_response","body":"foreign"}]}]}}}}
                """
                    .formatted(foreignPort));
    caddy = CaddyProcess.startOnLoopback(apps);
    String foreignBefore = admin("/config/apps/http/servers/foreign");
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    write(
        "api.yaml",
        service("api", "api.test", null, null, null) + be("a1", "api", "site-a", a1, 1));
    start(caddy.adminUrl());

    await().atMost(Duration.ofSeconds(15)).until(() -> via("api.test", "/x").equals("a1 /x"));
    assertThat(via("other.test", "/x")).isEqualTo("HTTP 404");
    await().until(() -> reason("api.yaml", 0, "Routed").equals("Pushed"));
    assertThat(doc("api.yaml", 0).at("/status/routedRevision").asText()).matches("[0-9a-f]{12}");
    assertThat(condition("api.yaml", 0, "Routed").path("message").asText())
        .contains("127.0.40.2:" + a1.port());
    assertThat(admin("/config/apps/http/servers/foreign")).isEqualTo(foreignBefore);
    assertThat(body(new Request.Builder().url("http://127.0.0.1:" + foreignPort + "/").build()))
        .isEqualTo("foreign");
  }

  @Test
  void aConflictingSecondDeclarationNeverTakesAwayTheRouteThatWasServing() throws Exception {
    apiRoutedToA1();

    write("copy.yaml", service("api", "copy.test", null, null, null));
    await().until(() -> reason("copy.yaml", 0, "Accepted").equals("Conflict"));
    await().until(() -> reason("api.yaml", 0, "Accepted").equals("Conflict"));
    assertThat(condition("api.yaml", 0, "Accepted").path("status").asText()).isEqualTo("True");
    assertThat(condition("api.yaml", 0, "Accepted").path("message").asText())
        .contains("copy.yaml", "keeps serving");
    assertThat(condition("copy.yaml", 0, "Accepted").path("status").asText()).isEqualTo("False");
    // Over several drift checks and resyncs (1 s, 2 s), every request is still served by a1,
    // and the newcomer's host is never routed.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    int requests = 0;
    while (System.nanoTime() < until && requests < 300) {
      assertThat(via("api.test", "/x")).as("request %d", requests).isEqualTo("a1 /x");
      requests++;
    }
    assertThat(requests).isPositive();
    assertThat(via("copy.test", "/x")).isEqualTo("HTTP 404");

    delete("copy.yaml");
    await().until(() -> reason("api.yaml", 0, "Accepted").equals("Valid"));
    assertThat(via("api.test", "/x")).isEqualTo("a1 /x");
  }

  @Test
  void fiftyWeightEditsReachTheResolverWithoutAnyPush() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend a2 = backend("a2", "127.0.40.3");
    write("api.yaml", service("api", "api.test", null, null, null));
    write("a2.yaml", be("a2", "api", "site-a", a2, 1));
    write("a1.yaml", be("a1", "api", "site-a", a1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 2);
    await().until(() -> settled() && pushes() > 0);
    double before = pushes();
    for (int weight = 2; weight <= 51; weight++) {
      write("a1.yaml", be("a1", "api", "site-a", a1, weight));
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 52);
    await().until(() -> settled());
    System.out.printf("RouterIT weights: 50 edits -> %.0f pushes%n", pushes() - before);
    assertThat(pushes()).isEqualTo(before);
  }

  @Test
  void aBurstOfFiftyRouteEditsCoalescesIntoAFewPushes() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    write("api.yaml", service("api", "api.test", null, null, null));
    write("a1.yaml", be("a1", "api", "site-a", a1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 1);
    await().until(() -> settled() && pushes() > 0);
    double before = pushes();
    long started = System.nanoTime();
    for (int ms = 1001; ms <= 1050; ms++) {
      write(
          "api.yaml",
          service("api", "api.test", null, null, null)
              .replace(
                  "  healthCheck:",
                  "  loadBalancing:\n    responseTimeout: " + ms + "ms\n  healthCheck:"));
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                admin("/config/apps/http/servers/switchboard")
                    .contains("\"response_header_timeout\":\"1050ms\""));
    await().until(() -> settled());
    double pushes = pushes() - before;
    System.out.printf(
        "RouterIT burst: 50 edits in %d ms -> %.0f pushes%n",
        (System.nanoTime() - started) / 1_000_000, pushes);
    assertThat(pushes).isBetween(1.0, 5.0);
  }

  @Test
  void aRestartedCaddyGetsItsRoutesBackWithinSeconds() throws Exception {
    apiRoutedToA1();
    String adminListen = caddy.adminUrl().substring("http://".length());
    caddy.close();
    caddy = CaddyProcess.start(List.of(), adminListen, null);
    long started = System.nanoTime();
    await().atMost(Duration.ofSeconds(10)).until(() -> via("api.test", "/").equals("a1 /"));
    System.out.printf(
        "RouterIT restart: routes back %d ms after the empty Caddy answered%n",
        (System.nanoTime() - started) / 1_000_000);
  }

  @Test
  void caddyDownIsReportedAndRepairedWhenItComesUp() throws Exception {
    String adminListen = "127.0.0.1:" + CaddyProcess.freePort();
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    write(
        "api.yaml",
        service("api", "api.test", null, null, null) + be("a1", "api", "site-a", a1, 1));
    start("http://" + adminListen);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> reason("api.yaml", 0, "Routed").equals("CaddyUnreachable"));
    assertThat(condition("api.yaml", 0, "Routed").path("message").asText())
        .contains(adminListen)
        .contains("unreachable");
    caddy = CaddyProcess.start(List.of(), adminListen, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> via("api.test", "/").equals("a1 /"));
    await().until(() -> reason("api.yaml", 0, "Routed").equals("Pushed"));
  }

  @Test
  void aConfigCaddyRefusesIsReportedWhileThePreviousOneKeepsServing() throws Exception {
    apiRoutedToA1();
    operator.router().orElseThrow().decorateForTests(s -> s.put("bogus_field", 1));
    await()
        .atMost(Duration.ofSeconds(10))
        .alias("Routed=CaddyRejected in api.yaml")
        .until(() -> reason("api.yaml", 0, "Routed").equals("CaddyRejected"));
    assertThat(condition("api.yaml", 0, "Routed").path("message").asText()).contains("bogus_field");
    assertThat(via("api.test", "/")).isEqualTo("a1 /");
    assertThat(rejected()).isPositive();
    operator.router().orElseThrow().decorateForTests(null);
    // Caddy never stopped running the previous config, so nothing needs pushing: InSync.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> reason("api.yaml", 0, "Routed").equals("InSync"));
  }

  @Test
  void weightsTenToOneSplitAThousandRequestsWithinTenPercent() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend b1 = backend("b1", "127.0.41.2");
    write(
        "api.yaml",
        service("api", "api.test", null, "spread", "round_robin")
            + be("a1", "api", "site-a", a1, 10)
            + be("b1", "api", "site-b", b1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 11);
    Map<String, Integer> served = new TreeMap<>();
    for (int i = 0; i < 1000; i++) {
      served.merge(via("api.test", "/w"), 1, Integer::sum);
    }
    System.out.println("RouterIT weights 10/1 round_robin over 1000: " + served);
    assertThat(served.getOrDefault("a1 /w", 0)).isBetween(818, 1000);
    assertThat(served.getOrDefault("b1 /w", 0)).isBetween(82, 100);
  }

  @Test
  void priorityFailoverMovesAllTrafficToTheNextTierAndGivesItBack() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend b1 = backend("b1", "127.0.41.2");
    write(
        "api.yaml",
        service("api", "api.test", null, "priority", null)
            + be("a1", "api", "site-a", a1, 1)
            + be("b1", "api", "site-b", b1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 1);
    for (int i = 0; i < 50; i++) {
      assertThat(via("api.test", "/p")).isEqualTo("a1 /p");
    }
    double pushesBefore = pushes();
    a1.stop();
    Shift away = shift("b1 /p");
    System.out.printf(
        "RouterIT failover: %d requests, %d failed, all on b1 from %d ms after the kill, %.0f"
            + " pushes%n",
        away.requests, away.failed, away.movedAfterMs, pushes() - pushesBefore);
    assertThat(away.movedAfterMs).isLessThan(1000);
    assertThat(away.failed).isZero();
    // Keep the traffic going across the tier-switch push: it must not fail a request either.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> upstreamCount("api") == 1 && firstUpstreamIs("api", b1));
    Map<String, Integer> after = new TreeMap<>();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    for (int i = 0; i < 5000 && System.nanoTime() < until; i++) {
      after.merge(via(raw, "api.test", "/p"), 1, Integer::sum);
    }
    System.out.printf(
        "RouterIT failover: %.0f pushes since the kill; next 1 s, client without retries: %s%n",
        pushes() - pushesBefore, after);
    // The tier switch is an answer of the resolver, not a reload: not even an idle keep-alive
    // connection is closed, so a client without retries sees nothing either.
    assertThat(after.keySet()).containsExactly("b1 /p");
    assertThat(pushes()).isEqualTo(pushesBefore);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> reason("api.yaml", 0, "Routed").equals("Pushed"));

    a1.start();
    Shift back = shift("a1 /p");
    System.out.printf(
        "RouterIT give back: %d requests, %d failed, all on a1 from %d ms after the restart%n",
        back.requests, back.failed, back.movedAfterMs);
    assertThat(back.failed).isZero();
  }

  @Test
  void drainTakesABackendOutWithoutFailingRequestsInFlight() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend a2 = backend("a2", "127.0.40.3");
    write("api.yaml", service("api", "api.test", null, null, "round_robin"));
    write("a2.yaml", be("a2", "api", "site-a", a2, 1));
    write("a1.yaml", be("a1", "api", "site-a", a1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 2);
    List<CompletableFuture<String>> inFlight = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      inFlight.add(async("api.test", "/slow/1500"));
    }
    write("a1.yaml", be("a1", "api", "site-a", a1, 1) + "  drain: true\n");
    await().atMost(Duration.ofSeconds(5)).until(() -> upstreamCount("api") == 1);
    List<String> answers = new ArrayList<>();
    for (CompletableFuture<String> f : inFlight) {
      answers.add(f.get(10, TimeUnit.SECONDS));
    }
    System.out.println("RouterIT drain: in-flight answers " + count(answers));
    assertThat(answers).allMatch(a -> a.equals("a1") || a.equals("a2"));
    assertThat(answers).contains("a1");
    for (int i = 0; i < 20; i++) {
      assertThat(via("api.test", "/d")).isEqualTo("a2 /d");
    }
  }

  @Test
  void siteMaintenanceTakesItsBackendsOutOfRotation() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend b1 = backend("b1", "127.0.41.2");
    write(
        "api.yaml",
        service("api", "api.test", null, "spread", null)
            + be("a1", "api", "site-a", a1, 1)
            + be("b1", "api", "site-b", b1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 2);
    write(
        "sites.yaml",
        site("site-a", "127.0.40.0/24", 10, false)
            + "---\n"
            + site("site-b", "127.0.41.0/24", 20, true));
    await().atMost(Duration.ofSeconds(5)).until(() -> upstreamCount("api") == 1);
    for (int i = 0; i < 20; i++) {
      assertThat(via("api.test", "/m")).isEqualTo("a1 /m");
    }
  }

  @Test
  void aBackendFlappingOrGoingDownNeverCostsAPush() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend a2 = backend("a2", "127.0.40.3");
    write(
        "api.yaml",
        service("api", "api.test", null, null, null)
            + be("a1", "api", "site-a", a1, 1)
            + be("a2", "api", "site-a", a2, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 2);
    await().until(() -> settled());
    double before = pushes();
    long routerPassesBefore = routerPasses();
    ScheduledExecutorService flapper = Executors.newSingleThreadScheduledExecutor();
    closeables.add(flapper::shutdownNow);
    AtomicBoolean up = new AtomicBoolean(true);
    flapper.scheduleAtFixedRate(
        () -> a2.healthStatus.set(up.getAndSet(!up.get()) ? 503 : 200),
        0,
        500,
        TimeUnit.MILLISECONDS);
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(8))
        .until(() -> pushes() == before);
    flapper.shutdownNow();
    long passes = routerPasses() - routerPassesBefore;
    System.out.printf(
        "RouterIT flapping: 6 s of flaps every 500 ms -> %d router passes, 0 pushes%n", passes);
    assertThat(passes).as("the flaps reached the router").isGreaterThan(5);
    a2.healthStatus.set(503);
    long down = System.nanoTime();
    await().atMost(Duration.ofSeconds(10)).until(() -> upstreamCount("api") == 1);
    System.out.printf(
        "RouterIT flapping: out of the answer %d ms after staying down, %.0f push(es)%n",
        (System.nanoTime() - down) / 1_000_000, pushes() - before);
    assertThat(pushes()).isEqualTo(before);
  }

  @Test
  void routesSeveralPrefixesOnOneHostAndProxiesAWebSocket() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend web = backend("web1", "127.0.40.2");
    RoutedBackend api = backend("api1", "127.0.40.3");
    WebSocketEcho echo = new WebSocketEcho("127.0.40.4");
    closeables.add(echo);
    write(
        "app.yaml",
        service("web", "app.test", null, null, null)
            + be("web1", "web", "site-a", web, 1)
            + service("api", "app.test", "/api/", null, null)
            + be("api1", "api", "site-a", api, 1)
            + service("ws", "app.test", "/ws/", null, null).replace("path: /health", "type: tcp")
            + be("ws1", "ws", "site-a", "127.0.40.4", echo.port(), 1));
    start(caddy.adminUrl());
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> via("app.test", "/api/x").equals("api1 /api/x"));
    assertThat(via("app.test", "/x")).isEqualTo("web1 /x");
    await().until(() -> upstreamCount("ws") == 1);
    Stream ws = new Stream(0, "app.test", "/ws/echo");
    ws.roundTrip("hello through caddy");
    ws.socket.close(1000, "done");
  }

  @Test
  void webSocketsSurviveEveryRoutingChangeOfOtherBackendsAndEndWhenTheirOwnDies() throws Exception {
    caddy = CaddyProcess.startOnLoopback(null);
    WebSocketEcho echo = new WebSocketEcho("127.0.40.4");
    closeables.add(echo);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    RoutedBackend a2 = backend("a2", "127.0.40.3");
    RoutedBackend b1 = backend("b1", "127.0.41.2");
    RoutedBackend a3 = backend("a3", "127.0.40.9");
    write(
        "ws.yaml",
        service("ws", "ws.test", null, null, null).replace("path: /health", "type: tcp")
            + be("ws1", "ws", "site-a", "127.0.40.4", echo.port(), 1));
    write("api.yaml", service("api", "api.test", null, null, null));
    write("a1.yaml", be("a1", "api", "site-a", a1, 1));
    write("a2.yaml", be("a2", "api", "site-a", a2, 1));
    write("b1.yaml", be("b1", "api", "site-b", b1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("api") == 3);
    await().atMost(Duration.ofSeconds(15)).until(() -> upstreamCount("ws") == 1);
    List<Stream> streams = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      streams.add(new Stream(i, "ws.test", "/echo"));
    }
    for (Stream st : streams) {
      st.roundTrip("hello");
    }
    await().until(() -> settled());
    double pushesBefore = pushes();
    Map<String, Runnable> changes = new java.util.LinkedHashMap<>();
    changes.put(
        "drain a1", () -> write("a1.yaml", be("a1", "api", "site-a", a1, 1) + "  drain: true\n"));
    changes.put("a2 dies", a2::stop);
    changes.put("a2 comes back", () -> restart(a2));
    changes.put("b1 weight 5", () -> write("b1.yaml", be("b1", "api", "site-b", b1, 5)));
    changes.put("a3 added", () -> write("a3.yaml", be("a3", "api", "site-a", a3, 1)));
    changes.put("a3 removed", () -> delete("a3.yaml"));
    changes.put(
        "site-b maintenance",
        () ->
            write(
                "sites.yaml",
                site("site-a", "127.0.40.0/24", 10, false)
                    + "---\n"
                    + site("site-b", "127.0.41.0/24", 20, true)));
    changes.put(
        "undrain a1, site-b back",
        () -> {
          write("a1.yaml", be("a1", "api", "site-a", a1, 1));
          write(
              "sites.yaml",
              site("site-a", "127.0.40.0/24", 10, false)
                  + "---\n"
                  + site("site-b", "127.0.41.0/24", 20, false));
        });
    int[] expected = {2, 1, 2, 6, 7, 6, 1, 7};
    int step = 0;
    for (Map.Entry<String, Runnable> change : changes.entrySet()) {
      change.getValue().run();
      int want = expected[step++];
      await()
          .atMost(Duration.ofSeconds(10))
          .alias(change.getKey() + ": api answers " + want + " records")
          .until(() -> upstreamCount("api") == want);
      for (Stream st : streams) {
        st.roundTrip(change.getKey());
      }
    }
    System.out.printf(
        "RouterIT websockets: %d streams kept through %d changes (%s), %.0f pushes%n",
        streams.size(), changes.size(), changes.keySet(), pushes() - pushesBefore);
    assertThat(pushes()).isEqualTo(pushesBefore);

    long killedAt = System.nanoTime();
    echo.kill();
    for (Stream st : streams) {
      assertThat(st.ended.poll(5, TimeUnit.SECONDS)).as("stream %d ended", st.index).isNotNull();
    }
    System.out.printf(
        "RouterIT websockets: all %d streams ended %d ms after their backend died%n",
        streams.size(), (System.nanoTime() - killedAt) / 1_000_000);
  }

  /** One WebSocket through Caddy to the echo backend. */
  private final class Stream {
    final int index;
    final BlockingQueue<String> messages = new ArrayBlockingQueue<>(16);
    final BlockingQueue<String> ended = new ArrayBlockingQueue<>(4);
    final WebSocket socket;

    Stream(int index, String host, String path) {
      this.index = index;
      socket =
          client.newWebSocket(
              new Request.Builder()
                  .url("ws://127.0.0.1:" + caddyPort + path)
                  .header("Host", host)
                  .build(),
              new WebSocketListener() {
                @Override
                public void onMessage(WebSocket s, String text) {
                  messages.add(text);
                }

                @Override
                public void onClosing(WebSocket s, int code, String reason) {
                  ended.add("closing " + code);
                }

                @Override
                public void onFailure(WebSocket s, Throwable t, Response response) {
                  ended.add("failure " + t);
                }
              });
    }

    void roundTrip(String text) {
      socket.send(index + " " + text);
      try {
        assertThat(messages.poll(5, TimeUnit.SECONDS))
            .as("stream %d after %s (ended: %s)", index, text, ended.peek())
            .isEqualTo("echo: " + index + " " + text);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private void restart(RoutedBackend b) {
    try {
      b.start();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void delete(String name) {
    try {
      Files.delete(dir.resolve(name));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // --- fixture

  /** OkHttp sends at most 5 requests per host at once by default; the drain test needs 20. */
  private static okhttp3.Dispatcher wideDispatcher() {
    okhttp3.Dispatcher d = new okhttp3.Dispatcher();
    d.setMaxRequestsPerHost(64);
    return d;
  }

  private void start(String adminUrl) throws IOException {
    operator =
        Switchboard.start(
            OperatorSettings.forDirectory(dir)
                // The fleet lives on loopback, refused as a Site subnet unless allowed.
                .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
                .withResync(Duration.ofSeconds(2))
                .withRouting(
                    RouterSettings.caddy(adminUrl, List.of("127.0.0.1:" + caddyPort), false)
                        .withResolver("127.0.0.1:0", Duration.ofMillis(100))
                        .withDriftCheck(Duration.ofSeconds(1))),
            meters);
  }

  /** A Caddy of its own, service api.test with one backend a1, routed (answering) on return. */
  private void apiRoutedToA1() throws IOException {
    caddy = CaddyProcess.startOnLoopback(null);
    RoutedBackend a1 = backend("a1", "127.0.40.2");
    write(
        "api.yaml",
        service("api", "api.test", null, null, null) + be("a1", "api", "site-a", a1, 1));
    start(caddy.adminUrl());
    await().atMost(Duration.ofSeconds(15)).until(() -> via("api.test", "/").equals("a1 /"));
  }

  private RoutedBackend backend(String name, String address) throws IOException {
    RoutedBackend b = new RoutedBackend(name, address);
    closeables.add(b);
    return b;
  }

  private record Shift(int requests, int failed, long movedAfterMs) {}

  /** Sequential requests until 20 in a row are answered by {@code target} (bounded). */
  private Shift shift(String target) {
    long t0 = System.nanoTime();
    int requests = 0;
    int failed = 0;
    int inARow = 0;
    long firstOfRow = 0;
    while (inARow < 20) {
      if (requests > 20_000 || System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(20)) {
        throw new AssertionError("traffic did not move to " + target + " in 20 s");
      }
      long at = System.nanoTime();
      String answer = via("api.test", "/p");
      requests++;
      if (answer.startsWith("HTTP") || answer.startsWith("failed")) {
        failed++;
      }
      if (answer.equals(target)) {
        if (inARow++ == 0) {
          firstOfRow = at;
        }
      } else {
        inARow = 0;
      }
    }
    return new Shift(requests, failed, (firstOfRow - t0) / 1_000_000);
  }

  private String via(String host, String path) {
    return via(client, host, path);
  }

  private String via(OkHttpClient with, String host, String path) {
    try {
      return body(
          with,
          new Request.Builder()
              .url("http://127.0.0.1:" + caddyPort + path)
              .header("Host", host)
              .build());
    } catch (IOException e) {
      return "failed: " + e.getMessage();
    }
  }

  private String body(Request request) throws IOException {
    return body(client, request);
  }

  private String body(OkHttpClient with, Request request) throws IOException {
    try (Response r = with.newCall(request).execute()) {
      String text = r.body() == null ? "" : r.body().string().trim();
      return r.code() == 200 ? text : "HTTP " + r.code();
    }
  }

  private CompletableFuture<String> async(String host, String path) {
    CompletableFuture<String> f = new CompletableFuture<>();
    client
        .newCall(
            new Request.Builder()
                .url("http://127.0.0.1:" + caddyPort + path)
                .header("Host", host)
                .build())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                f.complete("failed: " + e);
              }

              @Override
              public void onResponse(Call call, Response r) throws IOException {
                try (r) {
                  f.complete(r.code() == 200 ? r.body().string().trim() : "HTTP " + r.code());
                }
              }
            });
    return f;
  }

  private static Map<String, Integer> count(List<String> answers) {
    Map<String, Integer> m = new TreeMap<>();
    answers.forEach(a -> m.merge(a, 1, Integer::sum));
    return m;
  }

  private String admin(String path) throws IOException {
    try (Response r =
        adminClient.newCall(new Request.Builder().url(caddy.adminUrl() + path).build()).execute()) {
      return r.body().string();
    }
  }

  /**
   * SRV records (weighted copies included) the resolver answers for a service's best tier, once
   * Caddy runs the service's route (0 before).
   */
  private int upstreamCount(String service) throws IOException {
    if (!admin("/config/apps/http/servers/switchboard").contains("switchboard-route-" + service)) {
      return 0;
    }
    return answer(service).size();
  }

  private List<DnsWire.Srv> answer(String service) {
    return answer(operator, service);
  }

  /** SRV records the operator's resolver answers for a service's best tier. */
  static List<DnsWire.Srv> answer(Switchboard operator, String service) {
    return operator
        .resolver()
        .orElseThrow()
        .published()
        .getOrDefault(UpstreamResolver.serviceName(service, 0), List.of());
  }

  private boolean firstUpstreamIs(String service, RoutedBackend b) {
    List<DnsWire.Srv> records = answer(service);
    return !records.isEmpty()
        && records.get(0).target().equals(UpstreamResolver.hostName(b.address))
        && records.get(0).port() == b.port();
  }

  /**
   * Nothing queued or being reconciled, and no push waiting out its debounce: a debounced pass is
   * always due within the debounce, the 1 s drift check only in its last 200 ms.
   */
  private boolean settled() {
    return operator.runtime().idle(RouterSettings.disabled().debounce());
  }

  private double pushes() {
    Counter c = meters.find("switchboard.caddy.pushes").tag("result", "success").counter();
    return c == null ? 0 : c.count();
  }

  private double rejected() {
    Counter c = meters.find("switchboard.caddy.pushes").tag("result", "rejected").counter();
    return c == null ? 0 : c.count();
  }

  private long routerPasses() {
    return meters.find("switchboard.reconcile").tag("kind", "Router").timers().stream()
        .mapToLong(Timer::count)
        .sum();
  }

  static String site(String name, String subnet, int priority, boolean maintenance) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: %s
        spec:
          subnet: %s
          priority: %d
          maintenance: %s
        """
        .formatted(name, subnet, priority, maintenance);
  }

  static String service(String name, String host, String prefix, String mode, String policy) {
    return """
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: %s
        spec:
          hosts: ["%s"]
        %s%s%s  healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """
        .formatted(
            name,
            host,
            prefix == null ? "" : "  pathPrefix: " + prefix + "\n",
            mode == null ? "" : "  failover:\n    mode: " + mode + "\n",
            policy == null ? "" : "  loadBalancing:\n    policy: " + policy + "\n");
  }

  static String be(String name, String service, String site, RoutedBackend b, int weight) {
    return be(name, service, site, b.address, b.port(), weight);
  }

  static String be(String name, String service, String site, String address, int port, int weight) {
    return """
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: %s
          site: %s
          address: "%s"
          port: %d
          weight: %d
        """
        .formatted(name, service, site, address, port, weight);
  }

  private void write(String name, String text) {
    try {
      Path p = dir.resolve(name);
      Files.createDirectories(p.getParent());
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private JsonNode doc(String name, int index) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(Files.readString(dir.resolve(name)))) {
      YAML.readValues(parser, JsonNode.class)
          .forEachRemaining(
              d -> {
                if (d != null && !d.isNull() && !d.isEmpty()) {
                  docs.add(d);
                }
              });
    }
    return docs.get(index);
  }

  private JsonNode condition(String name, int index, String type) throws IOException {
    for (JsonNode c : doc(name, index).at("/status/conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return YAML.createObjectNode();
  }

  private String reason(String name, int index, String type) throws IOException {
    return condition(name, index, type).path("reason").asText("");
  }
}
