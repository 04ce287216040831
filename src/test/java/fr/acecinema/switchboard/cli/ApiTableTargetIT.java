package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.it.TestBackends;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.server.ResourceApi;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sbctl run --api-target table} for real, with its embedded PostgreSQL: resources PUT
 * through the API become rows of {@code resources}, the operator reconciles them and writes their
 * status back into the rows, GET shows rows and files together, resourceVersion and names declared
 * by files are guarded (409), and DELETE removes the row.
 */
class ApiTableTargetIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType YAML = MediaType.get("application/yaml");
  private static final String API = "/apis/switchboard.acecinema.fr/v1alpha1/";

  @org.junit.jupiter.api.io.TempDir Path dir;
  private final TestBackends backends = new TestBackends();
  private final OkHttpClient http =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
  private InProcessRun run;
  private Database db;

  private record Answer(int code, JsonNode body, String change) {}

  @AfterEach
  void tearDown() throws Exception {
    if (db != null) {
      db.close();
    }
    if (run != null) {
      run.stop(Duration.ofSeconds(30));
    }
    backends.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  @Test
  void storesApiWritesAsRowsThatTheOperatorReconciles() throws Exception {
    TestBackends.Backend backend = backends.start("tbl-dijon", "127.0.33.2", 0);
    Path manifests = Files.createDirectories(dir.resolve("manifests"));
    Files.writeString(
        manifests.resolve("hand.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: by-hand
        spec:
          subnet: 127.0.34.0/24
          priority: 20
        """);
    Path data = dir.resolve("data");
    String token = TokenStore.in(data).create("table-it", Scope.admin).secret();
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
            "--caddy-sync",
            "off",
            // Nothing here tests the stop's grace period (SbctlJarIT does): close at once.
            "--shutdown-grace",
            "0s",
            "--api-target",
            "table");
    String base = "http://127.0.0.1:" + port;
    // Writes are answered 503 until the embedded database is open; then they go through.
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> send("PUT", base + API + "sites/dijon", token, site()).code() == 201);
    Answer service = send("PUT", base + API + "services/tbl", token, service());
    assertThat(service.code()).as("%s", service.body()).isEqualTo(201);
    Answer created = send("PUT", base + API + "backends/tbl-dijon", token, backend(backend.port));
    assertThat(created.code()).as("%s", created.body()).isEqualTo(201);
    assertThat(created.change()).isEqualTo("created");
    assertThat(created.body().at("/metadata/generation").asLong()).isEqualTo(1);

    db = Database.open(RecordsAccess.embeddedUrl(data), data);
    ResourceTable table = new ResourceTable(db);
    assertThat(table.list())
        .extracting(r -> r.kind() + "/" + r.name())
        .containsExactly("Backend/tbl-dijon", "Service/tbl", "Site/dijon");
    assertThat(table.get("Backend", "tbl-dijon").orElseThrow().spec().path("port").asInt())
        .isEqualTo(backend.port);
    assertThat(Files.exists(manifests.resolve("api"))).isFalse();

    // The operator reads the rows, reconciles them and writes the status back into them.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                readyInRow(table, "Backend", "tbl-dijon")
                    && readyInRow(table, "Service", "tbl")
                    && readyInRow(table, "Site", "dijon"));
    JsonNode got = send("GET", base + API + "backends/tbl-dijon", token, null).body();
    assertThat(ready(got)).isTrue();
    assertThat(got.at("/metadata/annotations").toString()).contains("table");
    assertThat(
            send("GET", base + API + "services/tbl", token, null)
                .body()
                .at("/status/readyEndpoints")
                .asInt())
        .isEqualTo(1);
    // GET shows the whole fleet: the rows and the file.
    List<String> sites = new ArrayList<>();
    send("GET", base + API + "sites", token, null)
        .body()
        .path("items")
        .forEach(s -> sites.add(s.at("/metadata/name").asText()));
    assertThat(sites).containsExactlyInAnyOrder("by-hand", "dijon");

    // The same body again changes nothing; a change bumps the row's generation.
    Answer again = send("PUT", base + API + "backends/tbl-dijon", token, backend(backend.port));
    assertThat(again.code()).isEqualTo(200);
    assertThat(again.change()).isEqualTo("unchanged");
    String version = got.at("/metadata/resourceVersion").asText();
    Answer changed =
        send(
            "PUT",
            base + API + "backends/tbl-dijon",
            token,
            withVersion(backend(backend.port).replace("weight: 1", "weight: 3"), version));
    assertThat(changed.code()).as("%s", changed.body()).isEqualTo(200);
    assertThat(changed.change()).isEqualTo("configured");
    assertThat(changed.body().at("/metadata/generation").asLong()).isEqualTo(2);
    assertThat(table.get("Backend", "tbl-dijon").orElseThrow().generation()).isEqualTo(2);
    assertThat(
            send("GET", base + API + "backends/tbl-dijon", token, null)
                .body()
                .at("/metadata/resourceVersion")
                .asText())
        .startsWith("2-");

    // A write based on the version read before that change is refused.
    Answer stale =
        send(
            "PUT",
            base + API + "backends/tbl-dijon",
            token,
            withVersion(backend(backend.port).replace("weight: 1", "weight: 5"), version));
    assertThat(stale.code()).isEqualTo(409);
    assertThat(stale.body().path("message").asText()).contains("was changed since");
    assertThat(table.get("Backend", "tbl-dijon").orElseThrow().spec().path("weight").asInt())
        .isEqualTo(3);

    // A name a file declares is written to its file, never as a row (that would be a Conflict).
    Answer toFile =
        send(
            "PUT",
            base + API + "sites/by-hand",
            token,
            site()
                .replace("dijon", "by-hand")
                .replace("127.0.33.0/24", "127.0.34.0/24")
                .replace("priority: 10", "priority: 30"));
    assertThat(toFile.code()).as(toFile.body().toString()).isEqualTo(200);
    assertThat(table.get("Site", "by-hand")).isEmpty();
    assertThat(Files.readString(manifests.resolve("hand.yaml"))).contains("priority: 30");
    assertThat(send("DELETE", base + API + "sites/by-hand", token, null).code()).isEqualTo(200);
    assertThat(manifests.resolve("hand.yaml")).doesNotExist();

    // Invalid specs get the operator's own messages and write nothing.
    Answer invalid =
        send(
            "PUT",
            base + API + "backends/tbl-bad",
            token,
            backend(70000).replace("tbl-dijon", "tbl-bad"));
    assertThat(invalid.code()).isEqualTo(400);
    assertThat(invalid.body().path("message").asText()).contains("spec.port");
    assertThat(table.get("Backend", "tbl-bad")).isEmpty();

    // DELETE removes the row; the service loses its endpoint.
    assertThat(send("DELETE", base + API + "backends/tbl-dijon", token, null).code())
        .isEqualTo(200);
    assertThat(table.get("Backend", "tbl-dijon")).isEmpty();
    assertThat(send("GET", base + API + "backends/tbl-dijon", token, null).code()).isEqualTo(404);
    assertThat(send("DELETE", base + API + "backends/tbl-dijon", token, null).code())
        .isEqualTo(404);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                send("GET", base + API + "services/tbl", token, null)
                        .body()
                        .at("/status/readyEndpoints")
                        .asInt(-1)
                    == 0);

    // Our idle keep-alive connections would hold the listener's graceful close for 1 s.
    http.connectionPool().evictAll();
    assertThat(run.stop(Duration.ofSeconds(30))).isZero();
  }

  private static boolean readyInRow(ResourceTable table, String kind, String name) {
    Optional<ResourceTable.Row> row = table.get(kind, name);
    if (row.isEmpty() || row.get().status() == null) {
      return false;
    }
    for (JsonNode c : row.get().status().path("conditions")) {
      if (c.path("type").asText().equals("Ready")) {
        return c.path("status").asText().equals("True")
            && c.path("observedGeneration").asLong() == row.get().generation();
      }
    }
    return false;
  }

  private static boolean ready(JsonNode r) {
    for (JsonNode c : r.at("/status/conditions")) {
      if (c.path("type").asText().equals("Ready")) {
        return c.path("status").asText().equals("True")
            && c.path("observedGeneration").asLong() == r.at("/metadata/generation").asLong();
      }
    }
    return false;
  }

  private static String withVersion(String yaml, String version) {
    return yaml.replaceFirst("metadata:\n", "metadata:\n  resourceVersion: \"" + version + "\"\n");
  }

  private static String site() {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: dijon
        spec:
          subnet: 127.0.33.0/24
          priority: 10
        """;
  }

  private static String service() {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: tbl
        spec:
          hosts: ["tbl.acecinema.test"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """;
  }

  private static String backend(int port) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: tbl-dijon
        spec:
          service: tbl
          site: dijon
          address: "127.0.33.2"
          port: %d
          weight: 1
        """
        .formatted(port);
  }

  private Answer send(String method, String url, String token, String body) {
    Request.Builder b =
        new Request.Builder()
            .url(url)
            .header("Authorization", "Bearer " + token)
            .method(method, body == null ? null : RequestBody.create(body, YAML));
    try (Response r = http.newCall(b.build()).execute()) {
      String text = r.body() == null ? "" : r.body().string();
      return new Answer(
          r.code(),
          text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text),
          r.header(ResourceApi.CHANGE_HEADER));
    } catch (IOException e) {
      return new Answer(-1, JSON.createObjectNode(), null);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
