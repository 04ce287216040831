package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.FleetTarget;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.RecordsFixtures;
import fr.acecinema.switchboard.server.ResourceTarget;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.SelfSigned;
import fr.acecinema.switchboard.server.TableTarget;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The record commands against a real PostgreSQL found the way sbctl finds a running operator's:
 * through {@code DATA_DIR/postgres.port}; and the same commands through a real API server with
 * {@code SWITCHBOARD_SERVER} set, which must print exactly the same.
 */
class RecordsCommandsIT {
  // The test fleets live on loopback, which a hub refuses as Site subnets unless allowed.
  private static final fr.acecinema.switchboard.validation.SubnetPolicy LOOPBACK_SITES =
      fr.acecinema.switchboard.validation.SubnetPolicy.allowing(java.util.List.of("127.0.0.0/8"));

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  @TempDir static Path dataDir;
  @TempDir static Path manifests;
  @TempDir static Path serverData;
  static Database db;
  static RecordsRepository records;
  static ApiServer server;
  static String readToken;

  @BeforeAll
  static void database() throws Exception {
    db = Database.open(null, dataDir);
    Files.writeString(dataDir.resolve("postgres.port"), db.embedded().orElseThrow().port() + "\n");
    records = new RecordsRepository(db);
    RecordsFixtures.seed(records);
    Files.writeString(
        manifests.resolve("dijon.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-dijon
        spec:
          service: api
          site: dijon
          address: 127.0.20.2
          port: 8080
        """);
  }

  @AfterAll
  static void close() {
    if (server != null) {
      server.close();
    }
    db.close();
  }

  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    return run(
        Map.of(
            "SWITCHBOARD_DATA_DIR", dataDir.toString(),
            "SWITCHBOARD_MANIFESTS", manifests.toString(),
            // The sites live on loopback, refused as Site subnets unless allowed.
            "SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8"),
        args);
  }

  /**
   * sbctl with SWITCHBOARD_SERVER set, from a directory where neither the data dir nor the
   * manifests exist: all it knows is the server and the token.
   */
  private Run remote(String... args) {
    return run(
        Map.of(
            "SWITCHBOARD_SERVER",
            "http://127.0.0.1:" + server.port(),
            "SWITCHBOARD_TOKEN",
            readToken,
            "SWITCHBOARD_DATA_DIR",
            dataDir.resolve("absent").toString(),
            "SWITCHBOARD_MANIFESTS",
            dataDir.resolve("absent-manifests").toString()),
        args);
  }

  private Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl =
        Sbctl.commandLine(
            new Sbctl(new LocalFleetAccess(), Clock.fixed(NOW, ZoneOffset.UTC)), env::get);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** The API a hub's `sbctl run` serves, over the same records and manifests. */
  @BeforeAll
  static void api() throws Exception {
    TokenStore tokens = TokenStore.in(serverData);
    readToken = tokens.create("reader", Scope.read).secret();
    server = RecordsFixtures.serve(tokens, hubTarget(), Optional.of(() -> records));
  }

  /** What `sbctl run` serves: the files and the rows of the resources table, one fleet. */
  private static ResourceTarget hubTarget() {
    return new FleetTarget(
        new ManifestDirectoryTarget(manifests, LOOPBACK_SITES),
        new TableTarget(() -> new ResourceTable(db), manifests, LOOPBACK_SITES),
        false);
  }

  @ParameterizedTest(name = "sbctl {0}")
  @ValueSource(
      strings = {
        "events",
        "events backend/api-dijon",
        "events site/dijon",
        "history backend/api-dijon",
        "history backend/api-dijon --limit 1",
        "revisions",
        "rollout history deployment/api",
        "rollout history deploy/api --revision 3",
        "describe backend/api-dijon",
        "get all",
        "get backend api-dijon -o wide",
        "get backend api-dijon -o yaml"
      })
  void everyReadCommandPrintsTheSameRemotelyAsLocally(String command) {
    String[] args = command.split(" ");
    Run local = run(args);
    Run remote = remote(args);
    assertThat(local.code()).as(local.err()).isZero();
    assertThat(remote.code()).as(remote.err()).isZero();
    assertThat(remote.out()).isNotBlank().isEqualTo(local.out());
    assertThat(remote.err()).isEqualTo(local.err());
  }

  @Test
  void aRemoteEmptyListNamesTheServerNotALocalDirectory() {
    Run r = remote("get", "site");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err())
        .isEqualTo("No resources found in http://127.0.0.1:" + server.port() + "/.\n")
        .doesNotContain("manifests");
    Run missing = remote("describe", "site/nowhere");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("not found in http://127.0.0.1:" + server.port() + "/");
  }

  @Test
  void tokenCreateSuggestsTheServersOwnSchemeAndAddress(@TempDir Path hub) {
    Run plain = run(Map.of("SWITCHBOARD_DATA_DIR", hub.toString()), "token", "create", "laptop");
    assertThat(plain.code()).as(plain.err()).isZero();
    assertThat(plain.err()).contains("export SWITCHBOARD_SERVER=http://127.0.0.1:7070 ");
    Run tls =
        run(
            Map.of(
                "SWITCHBOARD_DATA_DIR", hub.toString(),
                "SWITCHBOARD_LISTEN", "10.200.0.1:7443",
                "SWITCHBOARD_TLS_CERT", "/etc/switchboard/cert.pem",
                "SWITCHBOARD_TLS_KEY", "/etc/switchboard/key.pem"),
            "token",
            "create",
            "ci");
    assertThat(tls.code()).as(tls.err()).isZero();
    assertThat(tls.err()).contains("export SWITCHBOARD_SERVER=https://10.200.0.1:7443 ");
  }

  @Test
  void aHubWithItsOwnCertificateIsReachedWithServerCaAloneNoTrustStore(@TempDir Path tls)
      throws Exception {
    SelfSigned cert = SelfSigned.create(tls);
    TokenStore tokens = TokenStore.in(serverData);
    try (ApiServer https =
        RecordsFixtures.serve(
            ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0))
                .withTls(cert.cert, cert.key),
            tokens,
            hubTarget(),
            Optional.of(() -> records))) {
      Map<String, String> env =
          Map.of(
              "SWITCHBOARD_SERVER",
              "https://127.0.0.1:" + https.port(),
              "SWITCHBOARD_TOKEN",
              readToken,
              "SWITCHBOARD_DATA_DIR",
              tls.resolve("absent").toString());
      Run untrusted = run(env, "revisions");
      assertThat(untrusted.code()).isEqualTo(1);
      assertThat(untrusted.err()).contains("TLS failed", "SWITCHBOARD_SERVER_CA");

      Map<String, String> trusted = new java.util.HashMap<>(env);
      trusted.put("SWITCHBOARD_SERVER_CA", cert.cert.toString());
      Run r = run(trusted, "revisions");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(run("revisions").out());
    }
  }

  @Test
  void historyLimitsAboveWhatTheServerServesAreCappedNotRefused() {
    Run r = remote("history", "backend/api-dijon", "--limit", "5000");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(run("history", "backend/api-dijon").out());
  }

  @Test
  void historyListsABackendsTransitionsOldestFirstWithReasonsAndLatency() {
    Run r = run("history", "backend/api-dijon");
    assertThat(r.code()).as(r.err()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).startsWith("TIME").contains("FROM", "TO", "REASON", "LATENCY");
    assertThat(lines[1]).contains("2026-03-01T11:00:00Z", "Healthy", "ProbeSucceeded", "3ms");
    assertThat(lines[2]).contains("2m", "Healthy", "Unhealthy", "ProbeFailed", "HTTP 503");
  }

  @Test
  void historyOfAnotherKindIsAUsageError() {
    Run r = run("history", "site/dijon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("backends only");
  }

  @Test
  void revisionsShowHashAndResult() {
    Run r = run("revisions");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("3f2a9c0d11aa", "APPLIED");
  }

  @Test
  void eventsAreCountedNotRepeatedAndDescribeShowsThem() {
    Run r = run("events", "backend/api-dijon");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Warning", "BackendDown", "backend/api-dijon");
    assertThat(r.out().lines().count()).isEqualTo(2);
    assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).contains(" 2 ");

    Run d = run("describe", "backend/api-dijon");
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(d.out()).contains("Events:").contains("BackendDown").contains("(x2 over");
  }

  @Test
  void describeStillWorksWhenNoDatabaseIsFound() {
    StringWriter out = new StringWriter();
    var cl =
        Sbctl.commandLine(
            new Sbctl(new LocalFleetAccess(), Clock.fixed(NOW, ZoneOffset.UTC)),
            Map.of(
                    "SWITCHBOARD_DATA_DIR", dataDir.resolve("elsewhere").toString(),
                    "SWITCHBOARD_MANIFESTS", manifests.toString(),
                    // The sites live on loopback, refused as Site subnets unless allowed.
                    "SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8")
                ::get);
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("describe", "backend/api-dijon")).isZero();
    assertThat(out.toString()).contains("Events:\n  <unavailable: no running Switchboard database");
  }

  @Test
  void applyToTableWritesRowsAndRejectsInvalidFilesWithoutWritingAnything() throws Exception {
    Path ok = manifests.resolveSibling(manifests.getFileName() + "-apply");
    Files.createDirectories(ok);
    Files.writeString(
        ok.resolve("site.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: metz
          labels:
            region: east
        spec:
          subnet: 127.0.40.0/24
        """);
    Run r = run("apply", "--to", "table", "-f", ok.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("site/metz created (table)");
    ResourceTable table = new ResourceTable(db);
    ResourceTable.Row row = table.get("Site", "metz").orElseThrow();
    assertThat(row.spec().path("subnet").asText()).isEqualTo("127.0.40.0/24");
    assertThat(row.labels().path("region").asText()).isEqualTo("east");
    assertThat(run("apply", "--to", "table", "-f", ok.toString()).out())
        .contains("site/metz unchanged (table)");

    Files.writeString(
        ok.resolve("bad.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: toul
        spec:
          subnet: 127.0.41.0/33
        """);
    Run bad = run("apply", "--to", "table", "-f", ok.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err())
        .contains("bad.yaml")
        .contains("spec.subnet")
        .contains("nothing was applied");
    assertThat(table.get("Site", "toul")).isEmpty();
  }
}
