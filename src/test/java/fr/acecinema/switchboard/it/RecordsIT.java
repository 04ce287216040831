package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.it.OperatorITSupport.Running;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EmbeddedPostgresServer;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.InventoryRecord;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The records against a real PostgreSQL that the test stops and starts: inventory, transitions,
 * events; life without the database; a database that is down at start-up.
 */
class RecordsIT {
  @TempDir Path manifests;
  @TempDir Path dataDir;
  private final TestBackends backends = new TestBackends();
  private ManifestDir files;
  private TestBackends.Backend web1;
  private Running running;

  @BeforeEach
  void fleet() throws Exception {
    files = new ManifestDir(manifests);
    web1 = backends.start("web-1", "127.0.30.2", 0);
    files.write("site.yaml", ManifestDir.site("lyon", "127.0.30.0/24"));
    files.write("web.yaml", ManifestDir.service("web"));
    files.write(
        "web-1.yaml",
        OperatorIT.backend("web-1", "lyon", "127.0.30.2", web1.port, 1)
            .replace("service: api", "service: web"));
  }

  @AfterEach
  void stop() {
    if (running != null) {
      running.close();
    }
    backends.close();
  }

  @Test
  void recordsInventoryHealthTransitionsAndEventsAndKeepsRemovedResourcesAsHistory()
      throws Exception {
    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    RecordsRepository repo = running.repository();
    await().until(() -> running.synced());
    await()
        .until(
            () ->
                repo.inventory(null).stream()
                        .filter(r -> r.status() != null && r.status().has("conditions"))
                        .count()
                    == 3);
    InventoryRecord backend = repo.inventory("Backend").get(0);
    assertThat(backend.name()).isEqualTo("web-1");
    assertThat(backend.source()).isEqualTo("file:web-1.yaml");
    assertThat(backend.spec().path("port").asInt()).isEqualTo(web1.port);
    assertThat(backend.generation()).isPositive();
    assertThat(Files.readString(dataDir.resolve("postgres.port")).strip())
        .isEqualTo(String.valueOf(running.server().port()));

    await().until(() -> files.health("web-1.yaml").equals("Healthy"));
    web1.healthStatus.set(503);
    // The newest transition, not any: a slow first probe may have recorded an early Unhealthy.
    await()
        .until(
            () ->
                repo.healthHistory("web-1", 1).stream()
                    .anyMatch(t -> "Unhealthy".equals(t.toState())));
    HealthTransition down = repo.healthHistory("web-1", 1).get(0);
    assertThat(down.fromState()).isEqualTo("Healthy");
    assertThat(down.reason()).isEqualTo("ProbeFailed");
    assertThat(down.message()).contains("503");
    await()
        .until(
            () ->
                repo.events("Backend", "web-1", 20).stream()
                    .anyMatch(
                        e -> e.type() == EventType.WARNING && e.reason().equals("BackendDown")));

    files.delete("web-1.yaml");
    await().until(() -> repo.inventory("Backend").isEmpty());
    List<InventoryRecord> history = repo.inventoryHistory("Backend", "web-1");
    assertThat(history).hasSize(1);
    assertThat(history.get(0).deletedAt()).isNotNull();
  }

  @Test
  void recordsEveryRevisionOfADeploymentTheHubPlans() throws Exception {
    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    RecordsRepository repo = running.repository();
    String deployment =
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Deployment
        metadata:
          name: web
        spec:
          service: web
          image: local/web:1
          port: 8080
          env:
            LOG: info
        """;
    files.write("deploy.yaml", deployment);
    await()
        .until(
            () ->
                repo.deploymentRevisions("web", 10).stream()
                    .anyMatch(r -> r.revision() == 1 && r.image().equals("local/web:1")));

    files.write("deploy.yaml", deployment.replace("local/web:1", "local/web:2"));

    await()
        .until(
            () ->
                repo.deploymentRevisions("web", 10).stream()
                    .map(DeploymentRevision::image)
                    .toList()
                    .equals(List.of("local/web:2", "local/web:1")));
    DeploymentRevision second = repo.deploymentRevisions("web", 1).get(0);
    assertThat(second.revision()).isEqualTo(2);
    assertThat(second.port()).isEqualTo(8080);
    assertThat(second.env()).containsEntry("LOG", "info");
  }

  @Test
  void keepsProbingAndWritingFilesWhileTheDatabaseIsDownAndCatchesUpWhenItReturns()
      throws Exception {
    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    RecordsRepository repo = running.repository();
    await().until(() -> files.health("web-1.yaml").equals("Healthy"));
    await().until(() -> !repo.healthHistory("web-1", 10).isEmpty());
    await().until(() -> "Healthy".equals(repo.healthHistory("web-1", 1).get(0).toState()));
    int before = repo.healthHistory("web-1", 100).size();

    running.server().stop();
    // Probing and status write-back into the files go on; the process says records are behind.
    web1.healthStatus.set(503);
    await().until(() -> files.health("web-1.yaml").equals("Unhealthy"));
    await().until(() -> !running.synced());
    // /readyz says so, and stays 200: routing does not depend on the database.
    HttpResponse<String> outage = running.health("/readyz");
    assertThat(outage.statusCode()).isEqualTo(200);
    JsonNode records = condition(outage, "RecordsSynced");
    assertThat(records.path("status").asText()).isEqualTo("False");
    assertThat(records.path("reason").asText()).isEqualTo("DatabaseUnavailable");
    assertThat(records.path("message").asText()).contains("routing and probing go on");
    assertThat(records.path("lastTransitionTime").asText()).isNotEmpty();
    assertThat(condition(outage, "Ready").path("status").asText()).isEqualTo("True");
    TestBackends.Backend web2 = backends.start("web-2", "127.0.30.3", 0);
    files.write(
        "web-2.yaml",
        OperatorIT.backend("web-2", "lyon", "127.0.30.3", web2.port, 1)
            .replace("service: api", "service: web"));
    await().until(() -> files.health("web-2.yaml").equals("Healthy"));
    web1.healthStatus.set(200);
    await().until(() -> files.health("web-1.yaml").equals("Healthy"));
    assertThat(running.operator().records().orElseThrow().journal().pending()).isPositive();

    running.server().start();
    await().atMost(Duration.ofSeconds(20)).until(() -> running.synced());
    JsonNode back = condition(running.health("/readyz"), "RecordsSynced");
    assertThat(back.path("status").asText()).isEqualTo("True");
    assertThat(back.path("reason").asText()).isEqualTo("Synced");
    // Both transitions that happened during the outage arrive, in order, with their times.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> repo.healthHistory("web-1", 100).size() == before + 2);
    List<HealthTransition> h = repo.healthHistory("web-1", 10);
    assertThat(h.get(0).toState()).isEqualTo("Healthy");
    assertThat(h.get(1).toState()).isEqualTo("Unhealthy");
    assertThat(h.get(0).at()).isAfter(h.get(1).at());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                repo.inventory("Backend").stream()
                    .anyMatch(
                        r ->
                            r.name().equals("web-2")
                                && r.status() != null
                                && r.status().at("/health/state").asText().equals("Healthy")));
    List<EventRecord> events = repo.events("Backend", "web-1", 20);
    assertThat(events).anyMatch(e -> e.reason().equals("BackendDown"));
    assertThat(running.operator().records().orElseThrow().journal().dropped()).isZero();
  }

  @Test
  void routesWhenTheDatabaseIsDownAtStartUpAndRecordsOnceItComesUp() throws Exception {
    EmbeddedPostgresServer server = new EmbeddedPostgresServer(dataDir.resolve("external"), 0);
    try {
      running =
          OperatorITSupport.start(
              manifests, dataDir, server.jdbcUrl() + "?user=" + EmbeddedPostgresServer.USER);
      await().until(() -> files.ready("web-1.yaml").equals("True"));
      await().until(() -> files.ready("web.yaml").equals("True"));
      assertThat(running.synced()).isFalse();
      assertThat(running.operator().records().orElseThrow().condition().reason)
          .isIn("DatabaseUnavailable", "DatabaseStarting");
      assertThat(running.health("/readyz").statusCode()).isEqualTo(200);

      server.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> running.synced());
      try (Database db = Database.open(server)) {
        RecordsRepository repo = new RecordsRepository(db);
        await().atMost(Duration.ofSeconds(20)).until(() -> repo.inventory(null).size() == 3);
        await().until(() -> !repo.healthHistory("web-1", 10).isEmpty());
      }
    } finally {
      if (running != null) {
        running.close();
        running = null;
      }
      server.stop();
    }
  }

  /** The process condition of {@code type} in a /readyz or /healthz body. */
  private static JsonNode condition(HttpResponse<String> response, String type) throws Exception {
    for (JsonNode c : new ObjectMapper().readTree(response.body()).path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    throw new AssertionError("no " + type + " condition in " + response.body());
  }
}
