package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.agent.AgentReport.ContainerSeen;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HttpHubClient} against a real HTTP server on 127.0.0.1 that plays the hub. */
class HttpHubClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API = "/apis/switchboard.acecinema.fr/v1alpha1/";

  /** One request as the server received it. */
  private record Received(
      String method, String path, Map<String, List<String>> headers, String body) {
    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().getFirst())
          .findFirst()
          .orElse(null);
    }

    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  /** What the server answers next; 200 with an empty object when nothing is queued. */
  private record Answer(int status, byte[] body) {
    static Answer of(int status, String body) {
      return new Answer(status, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final Deque<Received> received = new ConcurrentLinkedDeque<>();
  private final Deque<Answer> answers = new ArrayDeque<>();
  private HttpServer server;
  private HttpHubClient client;

  @BeforeEach
  void startHub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", this::handle);
    server.start();
    client =
        new HttpHubClient(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            "agent-token",
            new OkHttpClient());
  }

  @AfterEach
  void stopHub() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    received.add(
        new Received(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(),
            Map.copyOf(exchange.getRequestHeaders()),
            body));
    Answer a;
    synchronized (answers) {
      a = answers.isEmpty() ? Answer.of(200, "{}") : answers.poll();
    }
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(a.body());
    }
  }

  private void answer(int status, String body) {
    synchronized (answers) {
      answers.add(Answer.of(status, body));
    }
  }

  private static BackendSpec spec() {
    BackendSpec s = new BackendSpec();
    s.service = "api";
    s.site = "dijon";
    s.address = "10.200.1.5";
    s.port = 8080;
    return s;
  }

  @Test
  void aBackendIsPutAsJsonToItsPathWithTheToken() throws Exception {
    BackendSpec spec = spec();
    spec.drain = true;

    client.putBackend(new HubBackend("dijon-web", Map.of(ManagedBy.LABEL, "agent/dijon"), spec));

    Received r = received.getFirst();
    assertThat(r.method()).isEqualTo("PUT");
    assertThat(r.path()).isEqualTo(API + "backends/dijon-web");
    assertThat(r.header("Authorization")).isEqualTo("Bearer agent-token");
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.json())
        .isEqualTo(
            JSON.readTree(
                """
                {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Backend",
                 "metadata":{"name":"dijon-web",
                             "labels":{"switchboard.acecinema.fr/managed-by":"agent/dijon"}},
                 "spec":{"service":"api","site":"dijon","address":"10.200.1.5","port":8080,
                         "drain":true}}
                """));
  }

  @Test
  void theBackendsAreReadWithTheirLabelsAndSpecsWhateverElseTheHubAdds() throws Exception {
    answer(
        200,
        """
        {"kind":"BackendList","items":[
          {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Backend",
           "metadata":{"name":"dijon-web","generation":3,
                       "labels":{"switchboard.acecinema.fr/managed-by":"agent/dijon"}},
           "spec":{"service":"api","site":"dijon","address":"10.200.1.5","port":8080,
                   "weight":1,"futureField":true},
           "status":{"conditions":[]}}],
         "rejected":[]}
        """);

    List<HubBackend> backends = client.backends();

    assertThat(received.getFirst().method()).isEqualTo("GET");
    assertThat(received.getFirst().path()).isEqualTo(API + "backends");
    assertThat(backends).hasSize(1);
    HubBackend b = backends.getFirst();
    assertThat(b.name()).isEqualTo("dijon-web");
    assertThat(b.labels()).containsEntry(ManagedBy.LABEL, "agent/dijon");
    BackendSpec expected = spec();
    expected.weight = 1;
    assertThat(b.spec()).usingRecursiveComparison().isEqualTo(expected);
  }

  @Test
  void theSubnetIsReadFromTheSite() throws Exception {
    answer(200, "{\"kind\":\"Site\",\"spec\":{\"subnet\":\"10.200.1.0/24\",\"priority\":10}}");

    assertThat(client.subnet("dijon")).isEqualTo("10.200.1.0/24");
    assertThat(received.getFirst().path()).isEqualTo(API + "sites/dijon");
  }

  @Test
  void theDeploymentsAreReadWithTheReplicasTheirStatusAssigns() throws Exception {
    answer(
        200,
        """
        {"kind":"DeploymentList","items":[
          {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Deployment",
           "metadata":{"name":"api","resourceVersion":"7"},
           "spec":{"service":"api","image":"local/api:2","port":8080,"drainPeriod":"3s",
                   "futureField":1},
           "status":{"replicas":[
             {"name":"api-r2-7","site":"dijon","service":"api","revision":2,
              "image":"local/api:2","port":8080,"env":{"CRON":"on"},"primary":true,
              "lease":"30s"}]}}]}
        """);

    List<Deployment> deployments = client.deployments();

    assertThat(received.getFirst().method()).isEqualTo("GET");
    assertThat(received.getFirst().path()).isEqualTo(API + "deployments");
    assertThat(deployments).hasSize(1);
    Deployment d = deployments.getFirst();
    assertThat(d.getMetadata().getName()).isEqualTo("api");
    assertThat(d.getSpec().drainPeriod).isEqualTo("3s");
    DeploymentStatus.Replica r = d.getStatus().replicas.getFirst();
    assertThat(r.name).isEqualTo("api-r2-7");
    assertThat(r.site).isEqualTo("dijon");
    assertThat(r.revision).isEqualTo(2);
    assertThat(r.env).containsExactly(Map.entry("CRON", "on"));
    assertThat(r.isPrimary()).isTrue();
    assertThat(r.lease).isEqualTo("30s");
  }

  @Test
  void anUnreadableDeploymentFailsTheWholeListRatherThanHidingItsReplicas() {
    answer(
        200,
        """
        {"items":[{"kind":"Deployment","metadata":{"name":"api"},
                   "status":{"replicas":"not a list"}}]}
        """);

    assertThatThrownBy(client::deployments)
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE))
        .hasMessageContaining("unreadable Deployment \"api\"");
  }

  @Test
  void aReportCarriesItsReplicasStatesAsTheHubReadsThem() throws Exception {
    answer(204, "");
    AgentReport report =
        new AgentReport(
            "1.2.3",
            "24.0.7",
            "dijon-docker",
            Instant.parse("2025-06-01T10:00:00Z"),
            Duration.ofSeconds(5),
            List.of(),
            List.of(
                new ReplicaReport("api-r2-7", ReplicaReport.State.RUNNING, null, null),
                new ReplicaReport(
                    "api-r2-8",
                    ReplicaReport.State.FAILED,
                    ReplicaReport.IMAGE_NOT_FOUND,
                    "image local/api:2 is not on the engine")));

    client.report("dijon", report);

    JsonNode replicas = received.getFirst().json().path("replicas");
    assertThat(replicas.get(0))
        .isEqualTo(JSON.readTree("{\"name\":\"api-r2-7\",\"state\":\"Running\"}"));
    assertThat(replicas.get(1).path("state").asText()).isEqualTo("Failed");
    assertThat(replicas.get(1).path("reason").asText()).isEqualTo("ImageNotFound");
    AgentReport read = HttpHubClient.JSON.readValue(received.getFirst().body(), AgentReport.class);
    assertThat(read).isEqualTo(report);
  }

  @Test
  void aReportIsPutWithIsoInstantsAndDurations() throws Exception {
    answer(204, "");
    AgentReport report =
        new AgentReport(
            "1.2.3",
            "24.0.7",
            "dijon-docker",
            Instant.parse("2025-06-01T10:00:00.123Z"),
            Duration.ofSeconds(5),
            List.of(new ContainerSeen("id-web", "web", "running", "healthy", "dijon-web", null)));

    client.report("dijon", report);

    Received r = received.getFirst();
    assertThat(r.method()).isEqualTo("PUT");
    assertThat(r.path()).isEqualTo(API + "sites/dijon/agent");
    JsonNode body = r.json();
    assertThat(body.path("sentAt").asText()).isEqualTo("2025-06-01T10:00:00.123Z");
    assertThat(body.path("interval").asText()).isEqualTo("PT5S");
    assertThat(body.path("containers").get(0).has("problem")).isFalse();
    assertThat(body.path("containers").get(0).path("backend").asText()).isEqualTo("dijon-web");
  }

  @Test
  void refusalsArePermanentAndCarryTheHubsMessage() {
    for (int status : new int[] {400, 403, 422}) {
      answer(status, "{\"kind\":\"Status\",\"message\":\"10.9.9.9 is outside 10.200.1.0/24\"}");

      assertThatThrownBy(() -> client.putBackend(new HubBackend("dijon-web", Map.of(), spec())))
          .isInstanceOfSatisfying(
              HubException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(HubException.Kind.REFUSED);
                assertThat(e.status()).isEqualTo(status);
              })
          .hasMessageContaining("write backend dijon-web")
          .hasMessageContaining("HTTP " + status)
          .hasMessageContaining("10.9.9.9 is outside 10.200.1.0/24");
    }
  }

  @Test
  void a409IsAReplayForAHeartbeatButARetryForAWrite() {
    answer(409, "{\"message\":\"sentAt is not after the last report\"}");
    answer(409, "{\"message\":\"conflict\"}");
    AgentReport report =
        new AgentReport("1", null, null, Instant.EPOCH, Duration.ofSeconds(5), List.of());

    assertThatThrownBy(() -> client.report("dijon", report))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.REPLAY));
    assertThatThrownBy(() -> client.putBackend(new HubBackend("dijon-web", Map.of(), spec())))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE));
  }

  @Test
  void serverErrorsAndABadTokenAreRetried() {
    answer(503, "overloaded");
    answer(401, "{\"message\":\"unknown token\"}");

    assertThatThrownBy(client::backends)
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE))
        .hasMessageContaining("HTTP 503 overloaded");
    assertThatThrownBy(client::backends)
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE))
        .hasMessageContaining("unknown token")
        .hasMessageContaining("SWITCHBOARD_TOKEN");
  }

  @Test
  void deletingABackendThatIsAlreadyGoneIsFine() throws Exception {
    answer(404, "{\"message\":\"not found\"}");
    answer(500, "{\"message\":\"boom\"}");

    client.deleteBackend("dijon-web");

    assertThat(received.getFirst().method()).isEqualTo("DELETE");
    assertThat(received.getFirst().path()).isEqualTo(API + "backends/dijon-web");
    assertThatThrownBy(() -> client.deleteBackend("dijon-web"))
        .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.status()).isEqualTo(500));
  }

  @Test
  void anOversizedAnswerFailsTheCallInsteadOfFillingTheMemory() {
    byte[] big = new byte[(int) HttpHubClient.MAX_ANSWER + 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    synchronized (answers) {
      answers.add(new Answer(200, big));
    }

    assertThatThrownBy(client::backends)
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE))
        .hasMessageContaining("larger than " + HttpHubClient.MAX_ANSWER);
  }

  @Test
  void aHubThatDoesNotListenIsUnavailableWithoutStatus() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    HttpHubClient nobody =
        new HttpHubClient(URI.create("http://127.0.0.1:" + port), "t", new OkHttpClient());

    assertThatThrownBy(() -> nobody.subnet("dijon"))
        .isInstanceOfSatisfying(
            HubException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE);
              assertThat(e.status()).isZero();
            })
        .hasMessageContaining("read site dijon on http://127.0.0.1:" + port);
  }
}
