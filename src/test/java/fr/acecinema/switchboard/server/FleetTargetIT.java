package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.it.ManifestDir;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API over files and rows as one fleet ({@link FleetTarget}) on a real PostgreSQL, whatever
 * {@code --api-target}: reads list both, a write goes to the resource's own origin, a new resource
 * to the target, a delete removes a row.
 */
class FleetTargetIT {
  // The test fleets live on loopback, which a hub refuses as Site subnets unless allowed.
  private static final fr.acecinema.switchboard.validation.SubnetPolicy LOOPBACK_SITES =
      fr.acecinema.switchboard.validation.SubnetPolicy.allowing(java.util.List.of("127.0.0.0/8"));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType YAML = MediaType.get("application/yaml");
  private static final String API = "/apis/switchboard.acecinema.fr/v1alpha1/";
  @TempDir static Path data;
  static Database db;
  static ResourceTable table;
  static String token;
  static final OkHttpClient HTTP =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
  @TempDir Path manifests;
  ApiServer server;

  @BeforeAll
  static void database() throws IOException {
    db = Database.open(null, data.resolve("pg"));
    table = new ResourceTable(db);
    token = TokenStore.in(data.resolve("tokens")).create("admin", Scope.admin).secret();
  }

  @AfterAll
  static void close() {
    db.close();
    HTTP.dispatcher().executorService().shutdown();
    HTTP.connectionPool().evictAll();
  }

  @BeforeEach
  void fleet() throws IOException {
    table.list().forEach(r -> table.delete(r.kind(), r.name()));
    Files.writeString(manifests.resolve("site-file.yaml"), site("from-file", "127.0.35.0/24", 10));
    table.upsert("Site", "from-row", JSON.readTree("{\"subnet\":\"127.0.36.0/24\"}"), null);
  }

  @AfterEach
  void stop() {
    // Idle keep-alive connections first: the server's graceful stop would wait for them (1 s).
    HTTP.connectionPool().evictAll();
    if (server != null) {
      server.close();
    }
  }

  private void serve(boolean newToTable) throws IOException {
    server =
        RecordsFixtures.serve(
            TokenStore.in(data.resolve("tokens")),
            new FleetTarget(
                new ManifestDirectoryTarget(manifests, LOOPBACK_SITES),
                new TableTarget(() -> table, manifests, LOOPBACK_SITES),
                newToTable),
            Optional.empty());
  }

  static String site(String name, String subnet, int priority) {
    return ManifestDir.site(name, subnet) + "  priority: " + priority + "\n";
  }

  record Answer(int code, JsonNode body) {}

  private Answer send(String method, String path, String yaml) throws IOException {
    Request request =
        new Request.Builder()
            .url("http://127.0.0.1:" + server.port() + API + path)
            .header("Authorization", "Bearer " + token)
            .method(method, yaml == null ? null : RequestBody.create(yaml, YAML))
            .build();
    try (Response r = HTTP.newCall(request).execute()) {
      return new Answer(r.code(), JSON.readTree(r.body().string()));
    }
  }

  @Test
  void withTheFileTargetReadsShowRowsAndWritesGoToEachResourcesOrigin() throws IOException {
    serve(false);
    Answer list = send("GET", "sites", null);
    assertThat(list.body().path("items").findValuesAsText("name"))
        .contains("from-file", "from-row");
    assertThat(send("GET", "sites/from-row", null).code()).isEqualTo(200);

    Answer row = send("PUT", "sites/from-row", site("from-row", "127.0.36.0/24", 40));
    assertThat(row.code()).as(row.body().toString()).isEqualTo(200);
    assertThat(table.get("Site", "from-row").orElseThrow().spec().path("priority").asInt())
        .isEqualTo(40);
    assertThat(manifests.resolve("api")).doesNotExist();

    Answer file = send("PUT", "sites/from-file", site("from-file", "127.0.35.0/24", 50));
    assertThat(file.code()).as(file.body().toString()).isEqualTo(200);
    assertThat(Files.readString(manifests.resolve("site-file.yaml"))).contains("priority: 50");
    assertThat(table.get("Site", "from-file")).isEmpty();

    Answer created = send("PUT", "sites/new-one", site("new-one", "127.0.37.0/24", 10));
    assertThat(created.code()).as(created.body().toString()).isEqualTo(201);
    assertThat(manifests.resolve("api/site-new-one.yaml")).exists();
    assertThat(table.get("Site", "new-one")).isEmpty();

    assertThat(send("DELETE", "sites/from-row", null).code()).isEqualTo(200);
    assertThat(table.get("Site", "from-row")).isEmpty();
    assertThat(send("GET", "sites/from-row", null).code()).isEqualTo(404);
  }

  @Test
  void withTheTableTargetOnlyNewResourcesBecomeRows() throws IOException {
    serve(true);
    Answer created = send("PUT", "sites/new-row", site("new-row", "127.0.38.0/24", 10));
    assertThat(created.code()).as(created.body().toString()).isEqualTo(201);
    assertThat(table.get("Site", "new-row")).isPresent();
    Answer file = send("PUT", "sites/from-file", site("from-file", "127.0.35.0/24", 60));
    assertThat(file.code()).as(file.body().toString()).isEqualTo(200);
    assertThat(Files.readString(manifests.resolve("site-file.yaml"))).contains("priority: 60");
    assertThat(table.get("Site", "from-file")).isEmpty();
  }

  @Test
  void aNameInBothPlacesIsListedAsTheConflictItIs() throws IOException {
    table.upsert("Site", "from-file", JSON.readTree("{\"subnet\":\"127.0.35.0/24\"}"), null);
    serve(false);
    Answer list = send("GET", "sites", null);
    assertThat(list.body().path("rejected").findValuesAsText("reason")).contains("Conflict");
    // Each declaration is listed with the other place it is declared in.
    assertThat(list.body().path("rejected").findValuesAsText("message"))
        .hasSize(2)
        .anySatisfy(m -> assertThat(m).contains("also declared in site-file.yaml"))
        .anySatisfy(m -> assertThat(m).contains("also declared in table Site/from-file"));
  }
}
