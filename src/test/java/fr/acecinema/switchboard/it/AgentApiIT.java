package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.cli.InProcessSbctl;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's agent through the real API of a running control plane: what an agent token may and may
 * not do, what other tokens may not do to what an agent manages, and heartbeats becoming the Site's
 * {@code status.agent} and {@code AgentConnected}. The Backend an agent registers is probed like
 * any other (a real HTTP backend on the site's loopback subnet).
 */
class AgentApiIT {
  private static final String PREFIX = "/apis/switchboard.acecinema.fr/v1alpha1/";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path manifests;
  private final TestBackends backends = new TestBackends();
  private final HttpClient http = HttpClient.newHttpClient();
  private Switchboard operator;
  private ApiServer api;
  private String base;
  private String agent;
  private String writer;
  private String admin;

  @BeforeEach
  void start() throws Exception {
    manifests = Files.createDirectories(dir.resolve("manifests"));
    ManifestDir files = new ManifestDir(manifests);
    files.write(
        "fleet.yaml",
        ManifestDir.site("dijon", "127.0.71.0/24")
            + "---\n"
            + ManifestDir.site("thory", "127.0.72.0/24")
            + "---\n"
            + ManifestDir.service("api"));
    var settings = OperatorITSupport.loopbackFleet(manifests);
    operator = OperatorITSupport.start(settings);
    TokenStore tokens = TokenStore.in(dir.resolve("data"));
    agent = tokens.create("dijon-agent", Scope.agent, "dijon").secret();
    writer = tokens.create("ci", Scope.write).secret();
    admin = tokens.create("ops", Scope.admin).secret();
    operator.withApi(tokens, new ManifestDirectoryTarget(manifests, settings.subnets()), () -> "");
    api =
        ApiServer.start(
            ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)),
            operator::readiness,
            operator.api());
    base = "http://127.0.0.1:" + api.port();
  }

  @AfterEach
  void stop() {
    // The client's idle keep-alive connections go first: the API's graceful stop would otherwise
    // wait for them until its 1 s stop timeout.
    http.shutdownNow();
    if (api != null) {
      api.close();
    }
    if (operator != null) {
      operator.close();
    }
    backends.close();
  }

  private HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + PREFIX + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json");
    r.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String backend(String name, String site, String address, int port, String by) {
    return """
        {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Backend",
         "metadata":{"name":"%s"%s},
         "spec":{"service":"api","site":"%s","address":"%s","port":%d}}
        """
        .formatted(
            name,
            by == null
                ? ""
                : ",\"labels\":{\"switchboard.acecinema.fr/managed-by\":\"" + by + "\"}",
            site,
            address,
            port);
  }

  private static String report(Instant sentAt) {
    return """
        {"agentVersion":"0.2.0-test","engineVersion":"20.10.24","hostName":"dijon-docker",
         "sentAt":"%s","interval":"PT1S",
         "containers":[{"id":"c1","name":"web1","state":"running","health":"healthy",
                        "backend":"dijon-web1"}]}
        """
        .formatted(sentAt);
  }

  @Test
  void anAgentRegistersItsContainerWhichIsProbedAndRoutedLikeAnyBackend() throws Exception {
    TestBackends.Backend web1 = backends.start("web1", "127.0.71.5", 0);
    var put =
        call(
            "PUT",
            "backends/dijon-web1",
            agent,
            backend("dijon-web1", "dijon", "127.0.71.5", web1.port, "agent/dijon"));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                JSON.readTree(call("GET", "backends/dijon-web1", writer, null).body())
                    .at("/status/conditions")
                    .toString()
                    .contains("\"type\":\"Ready\",\"status\":\"True\""));
    // The agent lists only what it manages; a hand-declared backend of its own site is not shown.
    assertThat(
            call(
                    "PUT",
                    "backends/by-hand",
                    writer,
                    backend("by-hand", "dijon", "127.0.71.6", 8080, null))
                .statusCode())
        .isEqualTo(201);
    JsonNode list = JSON.readTree(call("GET", "backends", agent, null).body());
    assertThat(list.path("items")).hasSize(1);
    assertThat(list.at("/items/0/metadata/name").asText()).isEqualTo("dijon-web1");
    assertThat(call("GET", "backends/by-hand", agent, null).statusCode()).isEqualTo(404);
    assertThat(call("DELETE", "backends/by-hand", agent, null).statusCode()).isEqualTo(404);
    assertThat(call("DELETE", "backends/dijon-web1", agent, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "backends/dijon-web1", writer, null).statusCode()).isEqualTo(404);
  }

  @Test
  void aStolenAgentTokenTouchesNothingOutsideItsSite() throws Exception {
    assertThat(
            call(
                    "PUT",
                    "backends/x",
                    agent,
                    backend("x", "thory", "127.0.72.5", 8080, "agent/dijon"))
                .statusCode())
        .isEqualTo(403);
    var outside =
        call("PUT", "backends/x", agent, backend("x", "dijon", "127.0.72.5", 8080, "agent/dijon"));
    assertThat(outside.statusCode()).isEqualTo(403);
    assertThat(outside.body()).contains("outside the site's subnet 127.0.71.0/24");
    assertThat(call("GET", "services/api", agent, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "sites/thory", agent, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "sites/dijon", agent, null).statusCode()).isEqualTo(200);
    assertThat(call("PUT", "services/api", agent, "{\"kind\":\"Service\"}").statusCode())
        .isEqualTo(403);
    assertThat(call("PUT", "sites/thory/agent", agent, report(Instant.now())).statusCode())
        .isEqualTo(403);
    assertThat(call("GET", "backends?watch=true", agent, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "backends", writer, null).body()).doesNotContain("\"x\"");
  }

  @Test
  void anAgentReadsTheDeploymentsButCannotChangeThem() throws Exception {
    String deployment =
        """
        {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Deployment",
         "metadata":{"name":"api"},
         "spec":{"service":"api","image":"local/api:1","port":8080}}
        """;
    assertThat(call("PUT", "deployments/api", writer, deployment).statusCode()).isIn(200, 201);

    var list = call("GET", "deployments", agent, null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(list.body()).path("items").findValuesAsText("name")).contains("api");
    var one = call("GET", "deployments/api", agent, null);
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(one.body()).at("/spec/image").asText()).isEqualTo("local/api:1");

    assertThat(call("PUT", "deployments/api", agent, deployment).statusCode()).isEqualTo(403);
    assertThat(call("POST", "deployments", agent, deployment).statusCode()).isEqualTo(403);
    assertThat(call("DELETE", "deployments/api", agent, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "deployments?watch=true", agent, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "deployments/api", writer, null).statusCode()).isEqualTo(200);
  }

  @Test
  void otherTokensCannotEditOrDeleteWhatTheAgentManagesNorForgeItsLabel() throws Exception {
    assertThat(
            call(
                    "PUT",
                    "backends/dijon-web1",
                    agent,
                    backend("dijon-web1", "dijon", "127.0.71.5", 8080, "agent/dijon"))
                .statusCode())
        .isEqualTo(201);
    var edit =
        call(
            "PUT",
            "backends/dijon-web1",
            admin,
            backend("dijon-web1", "dijon", "127.0.71.5", 9, null));
    assertThat(edit.statusCode()).isEqualTo(409);
    assertThat(edit.body()).contains("managed by agent/dijon");
    assertThat(call("DELETE", "backends/dijon-web1", admin, null).statusCode()).isEqualTo(409);
    // sbctl on the hub, writing the files itself, refuses the same edits.
    Map<String, String> env =
        Map.of(
            "SWITCHBOARD_MANIFESTS",
            manifests.toString(),
            "SWITCHBOARD_DATA_DIR",
            dir.resolve("data").toString(),
            "SWITCHBOARD_RECORDS",
            "off",
            "SWITCHBOARD_ALLOW_SUBNETS",
            "127.0.0.0/8");
    Path file = dir.resolve("edit.yaml");
    Files.writeString(
        file,
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata: {name: dijon-web1}
        spec: {service: api, site: dijon, address: 127.0.71.5, port: 9}
        """);
    InProcessSbctl.Result apply = InProcessSbctl.run(env, "apply", "-f", file.toString());
    assertThat(apply.code()).as(apply.err()).isEqualTo(1);
    assertThat(apply.err()).contains("Backend/dijon-web1 is managed by agent/dijon");
    InProcessSbctl.Result delete = InProcessSbctl.run(env, "delete", "backend/dijon-web1");
    assertThat(delete.code()).isEqualTo(1);
    assertThat(delete.err()).contains("managed by agent/dijon");
    assertThat(
            call(
                    "PUT",
                    "backends/forged",
                    writer,
                    backend("forged", "dijon", "127.0.71.7", 8080, "agent/dijon"))
                .statusCode())
        .isEqualTo(403);
  }

  @Test
  void heartbeatsShowTheAgentOnItsSiteAndRepliesAndGarbageAreRefused() throws Exception {
    Instant sent = Instant.now();
    assertThat(call("PUT", "sites/dijon/agent", agent, report(sent)).statusCode()).isEqualTo(204);
    var replay = call("PUT", "sites/dijon/agent", agent, report(sent));
    assertThat(replay.statusCode()).isEqualTo(409);
    assertThat(replay.body()).contains("replay");
    assertThat(call("PUT", "sites/dijon/agent", agent, "{not json").statusCode()).isEqualTo(400);
    var oversized =
        call("PUT", "sites/dijon/agent", agent, "{\"x\":\"" + "a".repeat(2 << 20) + "\"}");
    assertThat(oversized.statusCode()).isEqualTo(413);
    assertThat(call("PUT", "sites/dijon/agent", agent, "{\"interval\":\"PT0S\"}").statusCode())
        .isEqualTo(422);
    assertThat(call("PUT", "sites/dijon/agent", writer, report(sent.plusSeconds(1))).statusCode())
        .isEqualTo(403);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonNode site = JSON.readTree(call("GET", "sites/dijon", writer, null).body());
              assertThat(site.at("/status/agent/hostName").asText()).isEqualTo("dijon-docker");
              assertThat(site.at("/status/agent/containers/0/backend").asText())
                  .isEqualTo("dijon-web1");
              assertThat(site.at("/status/conditions").toString())
                  .contains("\"type\":\"AgentConnected\",\"status\":\"True\"");
            });
    // The agent stops reporting (interval 1 s): three missed beats later it is a warning only.
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                assertThat(
                        JSON.readTree(call("GET", "sites/dijon", writer, null).body())
                            .at("/status/conditions")
                            .toString())
                    .contains("\"type\":\"AgentConnected\",\"status\":\"False\"")
                    .contains("HeartbeatMissed"));
  }
}
