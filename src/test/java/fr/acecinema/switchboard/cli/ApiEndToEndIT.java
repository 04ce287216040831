package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.it.TestBackends;
import fr.acecinema.switchboard.notify.Webhooks;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.server.MetricsLint;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sbctl run} for real, driven only through its API with a token: sbctl's remote fleet
 * applies sites, a service and two loopback backends, the test waits for Ready through the API,
 * reads /metrics, receives a signed webhook when a backend fails, then deletes through the API.
 */
class ApiEndToEndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "end-to-end-webhook-secret";
  private static final String API = "/apis/switchboard.acecinema.fr/v1alpha1/";

  @TempDir Path dir;
  private final TestBackends backends = new TestBackends();
  private final OkHttpClient http =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
  private HttpServer receiver;
  private CaddyProcess caddy;
  private InProcessRun run;

  @AfterEach
  void tearDown() throws Exception {
    if (run != null) {
      run.stop(Duration.ofSeconds(20));
    }
    if (receiver != null) {
      receiver.stop(0);
    }
    if (caddy != null) {
      caddy.close();
    }
    backends.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  private record Hook(String body, String signature, String timestamp) {}

  @Test
  void drivesAFleetThroughTheApiWithAToken() throws Exception {
    TestBackends.Backend dijon = backends.start("api-dijon", "127.0.30.2", 0);
    TestBackends.Backend thory = backends.start("api-thory", "127.0.31.2", 0);
    List<Hook> hooks = new CopyOnWriteArrayList<>();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    receiver.createContext(
        "/hook",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          hooks.add(
              new Hook(
                  body,
                  ex.getRequestHeaders().getFirst(Webhooks.SIGNATURE),
                  ex.getRequestHeaders().getFirst(Webhooks.TIMESTAMP)));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    // A real Caddy on loopback with its own admin port; Switchboard routes the fleet through it.
    caddy = CaddyProcess.startOnLoopback(null);
    int caddyPort = CaddyProcess.freePort();

    Path manifests = Files.createDirectories(dir.resolve("manifests"));
    Path data = dir.resolve("data");
    String token = TokenStore.in(data).create("e2e", Scope.admin).secret();
    int port = freePort();
    run =
        InProcessRun.start(
            "--manifests",
            manifests.toString(),
            // The fleet lives on loopback, which a hub refuses as a Site subnet by default.
            "--allow-subnets",
            "127.0.0.0/8",
            "--data-dir",
            data.toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--resync",
            "2s",
            "--probe-status-refresh",
            "1s",
            "--webhook",
            "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
            "--webhook-secret",
            SECRET,
            "--caddy-admin",
            caddy.adminUrl(),
            "--caddy-listen",
            "127.0.0.1:" + caddyPort,
            "--caddy-auto-https",
            "off",
            // Nothing here tests the stop's grace period (SbctlJarIT does): close at once.
            "--shutdown-grace",
            "0s");
    String base = "http://127.0.0.1:" + port;
    await().atMost(Duration.ofSeconds(20)).until(() -> status(base + "/readyz", null) == 200);
    // /readyz lists the process conditions of the real operator: records and routing are on.
    List<String> types = new java.util.ArrayList<>();
    get(base + "/readyz", null).path("conditions").forEach(c -> types.add(c.path("type").asText()));
    assertThat(types).containsExactly("Ready", "StatusWritten", "RecordsSynced", "Routed");

    // sbctl's remote mode: the same check/apply it runs for `sbctl apply -f` with
    // SWITCHBOARD_SERVER.
    RemoteFleet remote = new RemoteFleet(URI.create(base), token, http);
    String fleet = fleet(dijon.port, thory.port);
    assertThat(remote.check("fleet.yaml", fleet).problems()).isEmpty();
    assertThat(remote.apply("fleet.yaml", fleet))
        .extracting(FleetWriter.Applied::change)
        .containsOnly(FleetWriter.Change.created)
        .hasSize(5);
    assertThat(
            remote
                .check("bad.yaml", fleet.replace("port: " + dijon.port, "port: 70000"))
                .problems())
        .singleElement()
        .asString()
        .contains("spec.port");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> ready(base, token, "backends/api-dijon") && ready(base, token, "services/api"));
    // The service is Ready with its first ready backend; both count once thory's probe passed.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                get(base + API + "services/api", token).at("/status/readyEndpoints").asInt() == 2);
    assertThat(remote.list())
        .filteredOn(
            r -> r.key().equals(java.util.Optional.of(new ResourceKey("Backend", "api-dijon"))))
        .singleElement()
        .satisfies(r -> assertThat(r.ready().status()).isEqualTo("True"));
    assertThat(Files.exists(manifests.resolve("api/backend-api-dijon.yaml"))).isTrue();

    // The public path: through Caddy by host name, to a backend that Switchboard routed.
    Request viaCaddy =
        new Request.Builder()
            .url("http://127.0.0.1:" + caddyPort + "/hello")
            .header("Host", "api.acecinema.test")
            .build();
    await().atMost(Duration.ofSeconds(20)).until(() -> answer(viaCaddy).startsWith("api-"));
    long answered = System.nanoTime();
    // Routed=True means Caddy accepted the route: the router records the push once Caddy
    // answered it, then the service's reconcile writes the condition. Caddy serves the route
    // before the status says so (found by a CI run that read it at once); the status follows.
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () ->
                assertThat(get(base + API + "services/api", token).at("/status/conditions"))
                    .anySatisfy(
                        c -> {
                          assertThat(c.path("type").asText()).isEqualTo("Routed");
                          assertThat(c.path("status").asText()).isEqualTo("True");
                        }));
    System.out.printf(
        "[ApiEndToEndIT] Routed=True in the API %d ms after Caddy first served the route%n",
        Duration.ofNanos(System.nanoTime() - answered).toMillis());

    String metrics = text(base + "/metrics", token);
    assertThat(metrics).contains("switchboard_caddy_pushes_total{result=\"success\"}");
    assertThat(metrics)
        .contains(
            "switchboard_backend_healthy{backend=\"api-dijon\",service=\"api\",site=\"dijon\"} 1.0")
        .contains("switchboard_site_ready{site=\"thory\"} 1.0")
        .contains("switchboard_reconcile_seconds_count")
        .contains("switchboard_status_writes");
    // Every query of the Grafana dashboard names served series and labels; every family has a
    // HELP text, and promtool (installed by bin/test) accepts the output.
    assertThat(MetricsLint.dashboardProblems(metrics)).isEmpty();
    assertThat(MetricsLint.withoutHelp(metrics)).isEmpty();
    MetricsLint.promtool(metrics)
        .ifPresentOrElse(
            verdict ->
                assertThat(verdict.code())
                    .as("promtool check metrics:\n%s", verdict.output())
                    .isZero(),
            () -> System.err.println("ApiEndToEndIT: promtool not installed, not run"));

    dijon.healthStatus.set(500);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> hooks.stream().anyMatch(h -> h.body().contains("\"name\":\"api-dijon\"")));
    Hook down =
        hooks.stream().filter(h -> h.body().contains("\"name\":\"api-dijon\"")).findFirst().get();
    assertThat(down.body()).contains("\"type\":\"BackendDown\"").contains("\"status\":\"False\"");
    assertThat(down.signature())
        .isEqualTo("sha256=" + Webhooks.sign(SECRET.getBytes(StandardCharsets.UTF_8), down.body()));
    assertThat(Long.parseLong(down.timestamp())).isPositive();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                text(base + "/metrics", token)
                    .contains(
                        "switchboard_backend_healthy{backend=\"api-dijon\",service=\"api\",site=\"dijon\"} 0.0"));

    assertThat(remote.delete(new ResourceKey("Backend", "api-dijon"))).isTrue();
    assertThat(remote.delete(new ResourceKey("Backend", "api-dijon"))).isFalse();
    assertThat(status(base + API + "backends/api-dijon", token)).isEqualTo(404);
    assertThat(Files.exists(manifests.resolve("api/backend-api-dijon.yaml"))).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                get(base + API + "services/api", token).at("/status/readyEndpoints").asInt() == 1);

    // The pushed revisions are in PostgreSQL (the embedded one this run started in --data-dir).
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              try (Database db = Database.open(RecordsAccess.embeddedUrl(data), data)) {
                return !new RecordsRepository(db).revisions(10).isEmpty();
              } catch (IOException | RuntimeException e) {
                return false;
              }
            });

    // Our idle keep-alive connections would hold the listener's graceful close for 1 s.
    http.connectionPool().evictAll();
    assertThat(run.stop(Duration.ofSeconds(20))).isZero();
  }

  private String answer(Request request) {
    try (Response r = http.newCall(request).execute()) {
      return r.isSuccessful() && r.body() != null ? r.body().string() : "HTTP " + r.code();
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static String fleet(int dijonPort, int thoryPort) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: dijon
        spec:
          subnet: 127.0.30.0/24
          priority: 10
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: thory
        spec:
          subnet: 127.0.31.0/24
          priority: 20
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: api
        spec:
          hosts: ["api.acecinema.test"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-dijon
        spec:
          service: api
          site: dijon
          address: "127.0.30.2"
          port: %d
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-thory
        spec:
          service: api
          site: thory
          address: "127.0.31.2"
          port: %d
        """
        .formatted(dijonPort, thoryPort);
  }

  private boolean ready(String base, String token, String path) throws IOException {
    JsonNode r = get(base + API + path, token);
    for (JsonNode c : r.at("/status/conditions")) {
      if (c.path("type").asText().equals("Ready")) {
        return c.path("status").asText().equals("True")
            && c.path("observedGeneration").asLong() == r.at("/metadata/generation").asLong();
      }
    }
    return false;
  }

  private JsonNode get(String url, String token) throws IOException {
    return JSON.readTree(text(url, token));
  }

  private String text(String url, String token) throws IOException {
    try (Response r = http.newCall(request(url, token)).execute()) {
      return r.body().string();
    }
  }

  private int status(String url, String token) {
    try (Response r = http.newCall(request(url, token)).execute()) {
      return r.code();
    } catch (IOException e) {
      return -1;
    }
  }

  private static Request request(String url, String token) {
    Request.Builder b = new Request.Builder().url(url);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b.build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
