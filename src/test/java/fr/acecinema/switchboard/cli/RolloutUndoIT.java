package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.FleetTarget;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.RecordsFixtures;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TableTarget;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sbctl rollout undo} against a real PostgreSQL (the revisions recorded, a Deployment
 * declared as a row of the resources table) and through a real API server (the PUT guarded by the
 * generation read), the Deployment of the files sharing its file with other documents.
 */
class RolloutUndoIT {
  private static final SubnetPolicy LOOPBACK_SITES = SubnetPolicy.allowing(List.of("127.0.0.0/8"));
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String SITE =
      """
      # Dijon. This comment and the odd spacing below must survive the undo.
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Site
      metadata:
        name: dijon
      spec:
        subnet:   127.0.20.0/24
      """;

  /** Serves revision 3 (local/api:3); revision 2 came before it; revision 1 is only recorded. */
  private static final String DEPLOYMENT =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Deployment
      metadata:
        name: api
      spec:
        service: api
        image: local/api:3
        port: 8080
        env:
          LOG: info
        primaryEnv:
          CRON: "on"
      status:
        current: {revision: 3, hash: c3, image: local/api:3, port: 8080, env: {LOG: info}, primaryEnv: {CRON: "on"}}
        previous: {revision: 2, hash: b2, image: local/api:2, port: 9090, env: {LOG: info}}
      """;

  private static final String SERVICE =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Service
      metadata:
        name: api
      spec:
        hosts: [api.acecinema.test]
      """;

  @TempDir static Path root;
  static Database db;
  static ApiServer server;
  static String writeToken;
  static final OkHttpClient HTTP =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();

  static Path data() {
    return root.resolve("data");
  }

  static Path manifests() {
    return root.resolve("manifests");
  }

  @BeforeAll
  static void start() throws IOException {
    db = Database.open(null, data());
    Files.writeString(data().resolve("postgres.port"), db.embedded().orElseThrow().port() + "\n");
    RecordsRepository records = new RecordsRepository(db);
    for (String name : List.of("api", "web")) {
      RecordsFixtures.rollouts(name).forEach(records::upsertDeploymentRevision);
    }
    TokenStore tokens = TokenStore.in(root.resolve("server"));
    writeToken = tokens.create("deployer", Scope.write).secret();
    Files.createDirectories(manifests());
    server =
        RecordsFixtures.serve(
            tokens,
            new FleetTarget(
                new ManifestDirectoryTarget(manifests(), LOOPBACK_SITES),
                new TableTarget(() -> new ResourceTable(db), manifests(), LOOPBACK_SITES),
                false),
            Optional.of(() -> records));
  }

  @AfterAll
  static void stop() {
    // Idle keep-alive connections first: the server's graceful stop would wait for them (1 s).
    HTTP.connectionPool().evictAll();
    server.close();
    db.close();
    HTTP.dispatcher().executorService().shutdown();
  }

  @BeforeEach
  void fleet() throws IOException {
    Files.writeString(fleetFile(), SITE + "---\n" + DEPLOYMENT + "---\n" + SERVICE);
  }

  private static Path fleetFile() {
    return manifests().resolve("fleet.yaml");
  }

  private InProcessSbctl.Result local(String... args) {
    return InProcessSbctl.run(
        Map.of(
            "SWITCHBOARD_DATA_DIR", data().toString(),
            "SWITCHBOARD_MANIFESTS", manifests().toString(),
            "SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8"),
        args);
  }

  private InProcessSbctl.Result remote(String... args) {
    return InProcessSbctl.run(
        Map.of(
            "SWITCHBOARD_SERVER",
            "http://127.0.0.1:" + server.port(),
            "SWITCHBOARD_TOKEN",
            writeToken,
            "SWITCHBOARD_DATA_DIR",
            root.resolve("absent").toString(),
            "SWITCHBOARD_MANIFESTS",
            root.resolve("absent-manifests").toString()),
        args);
  }

  @Test
  void remoteUndoToARecordedRevisionRewritesTheDeploymentInPlaceThroughTheApi() throws IOException {
    InProcessSbctl.Result r = remote("rollout", "undo", "deployment/api", "--to-revision", "1");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo("deployment \"api\" rolled back to revision 1 (image local/api:1)\n");
    String text = Files.readString(fleetFile());
    assertThat(text)
        .as("the other documents, comments and separators stay byte for byte")
        .startsWith(SITE + "---\n")
        .endsWith("---\n" + SERVICE);
    String document = text.substring(SITE.length() + 4, text.length() - SERVICE.length() - 4);
    assertThat(document)
        .contains("name: api", "service: api", "image: local/api:1", "port: 8080", "LOG: info")
        .doesNotContain("primaryEnv", "CRON", "status:");
  }

  @Test
  void remoteUndoWithoutARevisionGoesBackToThePreviousOneAndListsDeploymentsRemotely() {
    InProcessSbctl.Result get = remote("get", "deployments");
    assertThat(get.code()).as(get.err()).isZero();
    assertThat(get.out()).contains("api");

    InProcessSbctl.Result r = remote("rollout", "undo", "deploy/api");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo("deployment \"api\" rolled back to revision 2 (image local/api:2)\n");
  }

  @Test
  void aDeploymentChangedSinceItWasReadIsAConflictNotALostUpdate() throws IOException {
    RemoteFleet fleet =
        new RemoteFleet(URI.create("http://127.0.0.1:" + server.port()), writeToken, HTTP);
    ResourceKey key = new ResourceKey("Deployment", "api");
    ResourceRow read =
        fleet.list().stream()
            .filter(r -> r.key().filter(key::equals).isPresent())
            .findFirst()
            .orElseThrow();
    String yaml =
        RolloutUndoCommand.document(
            read,
            RolloutUndoCommand.specWith(
                read.spec(), new RolloutUndoCommand.Former(2, "local/api:2", 9090, null, null)));
    // Someone else edits the Deployment between the read and the write.
    Files.writeString(
        fleetFile(),
        Files.readString(fleetFile()).replace("  port: 8080\n  env:", "  port: 8081\n  env:"));

    assertThatThrownBy(() -> fleet.replace(key, yaml, read.generation()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("was changed since resourceVersion");
    assertThat(Files.readString(fleetFile())).contains("image: local/api:3", "port: 8081");
  }

  @Test
  void localUndoOfADeploymentDeclaredAsARowChangesTheRowOnly() {
    ResourceTable table = new ResourceTable(db);
    table.upsert(
        "Deployment",
        "web",
        JSON.valueToTree(
            Map.of(
                "service",
                "api",
                "image",
                "local/api:3",
                "port",
                8080,
                "replicas",
                3,
                "env",
                Map.of("LOG", "info"))),
        JSON.createObjectNode().put("team", "web"));

    InProcessSbctl.Result r = local("rollout", "undo", "deployment/web", "--to-revision", "2");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo("deployment \"web\" rolled back to revision 2 (image local/api:2)\n");
    ResourceTable.Row row = table.get("Deployment", "web").orElseThrow();
    assertThat(row.spec().path("image").asText()).isEqualTo("local/api:2");
    assertThat(row.spec().path("port").asInt()).isEqualTo(9090);
    assertThat(row.spec().path("replicas").asInt()).as("the rest of the spec stays").isEqualTo(3);
    assertThat(row.labels().path("team").asText()).isEqualTo("web");
    assertThat(row.generation()).isEqualTo(2);

    InProcessSbctl.Result unknown =
        local("rollout", "undo", "deployment/web", "--to-revision", "8");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("has no revision 8; known revisions: 1, 2, 3");
  }

  @Test
  void rolloutHistoryReadsTheRecordedRevisionsLocallyAndRemotelyAlike() {
    InProcessSbctl.Result local = local("rollout", "history", "deployment/api");
    InProcessSbctl.Result remote = remote("rollout", "history", "deployment/api");

    assertThat(local.code()).as(local.err()).isZero();
    assertThat(remote.out()).isEqualTo(local.out());
    List<String> lines = local.out().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).contains("1", "local/api:1", "Complete", "-");
    assertThat(lines.get(2)).contains("2", "local/api:2", "RolledBack", "image, port 8080->9090");
    assertThat(lines.get(3))
        .contains("3", "local/api:3", "RollingOut", "image, port 9090->8080, primaryEnv +CRON");
  }
}
