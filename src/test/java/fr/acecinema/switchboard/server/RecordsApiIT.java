package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The records endpoints ({@code /records/v1alpha1/events|history|revisions|rollouts}) on a real API
 * server over a real embedded PostgreSQL: the promised JSON fields, orders, filters, scopes and
 * errors.
 */
class RecordsApiIT {
  // The test fleets live on loopback, which a hub refuses as Site subnets unless allowed.
  private static final fr.acecinema.switchboard.validation.SubnetPolicy LOOPBACK_SITES =
      fr.acecinema.switchboard.validation.SubnetPolicy.allowing(java.util.List.of("127.0.0.0/8"));

  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path root;
  static Database db;
  static ApiServer server;
  static ApiServer withoutDatabase;
  static String readToken;
  static final OkHttpClient HTTP =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() throws IOException {
    db = Database.open(null, root.resolve("data"));
    RecordsRepository records = new RecordsRepository(db);
    RecordsFixtures.seed(records);
    TokenStore tokens = TokenStore.in(root.resolve("data"));
    readToken = tokens.create("reader", Scope.read).secret();
    server = start(tokens, Optional.of(() -> records));
    Supplier<RecordsRepository> down =
        () -> {
          throw new DatabaseUnavailableException("connection refused", null);
        };
    withoutDatabase = start(tokens, Optional.of(down));
  }

  private static ApiServer start(TokenStore tokens, Optional<Supplier<RecordsRepository>> records)
      throws IOException {
    return RecordsFixtures.serve(
        tokens,
        new ManifestDirectoryTarget(
            Files.createDirectories(root.resolve("manifests")), LOOPBACK_SITES),
        records);
  }

  @AfterAll
  static void stop() {
    // Idle keep-alive connections first: each server's graceful stop would wait for them (1 s).
    HTTP.connectionPool().evictAll();
    server.close();
    withoutDatabase.close();
    db.close();
    HTTP.dispatcher().executorService().shutdown();
  }

  record Answer(int code, JsonNode body, String retryAfter) {}

  static Answer get(ApiServer on, String pathAndQuery, String token) throws IOException {
    Request.Builder b =
        new Request.Builder().url("http://127.0.0.1:" + on.port() + pathAndQuery).get();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    try (Response r = HTTP.newCall(b.build()).execute()) {
      return new Answer(r.code(), JSON.readTree(r.body().string()), r.header("Retry-After"));
    }
  }

  private static List<String> texts(JsonNode items, String field) {
    return items.findValuesAsText(field);
  }

  @Test
  void eventsOfOneObjectCarryThePromisedFieldsAndTheirCount() throws IOException {
    Answer a = get(server, "/records/v1alpha1/events?kind=Backend&name=api-dijon", readToken);
    assertThat(a.code()).as(a.body().toString()).isEqualTo(200);
    JsonNode items = a.body().path("items");
    assertThat(items).hasSize(1);
    JsonNode e = items.get(0);
    assertThat(e.path("kind").asText()).isEqualTo("Backend");
    assertThat(e.path("name").asText()).isEqualTo("api-dijon");
    assertThat(e.path("type").asText()).isEqualTo("Warning");
    assertThat(e.path("reason").asText()).isEqualTo("BackendDown");
    assertThat(e.path("message").asText()).isEqualTo("down");
    assertThat(e.path("count").asInt()).isEqualTo(2);
    assertThat(Instant.parse(e.path("time").asText()))
        .isAfterOrEqualTo(Instant.parse(e.path("firstSeen").asText()));
  }

  @Test
  void allEventsComeNewestFirstAndLimitKeepsTheNewest() throws IOException {
    Answer all = get(server, "/records/v1alpha1/events", readToken);
    assertThat(texts(all.body().path("items"), "name")).containsExactly("dijon", "api-dijon");
    Answer one = get(server, "/records/v1alpha1/events?limit=1", readToken);
    assertThat(texts(one.body().path("items"), "name")).containsExactly("dijon");
  }

  @Test
  void historyIsTheHealthyConditionOldestFirst() throws IOException {
    Answer a = get(server, "/records/v1alpha1/history?kind=Backend&name=api-dijon", readToken);
    assertThat(a.code()).as(a.body().toString()).isEqualTo(200);
    JsonNode items = a.body().path("items");
    assertThat(texts(items, "time"))
        .containsExactly("2026-03-01T11:00:00Z", "2026-03-01T11:58:00Z");
    assertThat(texts(items, "condition")).containsOnly("Healthy");
    assertThat(texts(items, "status")).containsExactly("True", "False");
    assertThat(texts(items, "reason")).containsExactly("ProbeSucceeded", "ProbeFailed");
    assertThat(items.get(0).path("latencyMs").asInt()).isEqualTo(3);
    assertThat(items.get(1).path("latencyMs").isNull()).isTrue();
    assertThat(items.get(1).path("previousState").asText()).isEqualTo("Healthy");
    assertThat(items.get(1).path("state").asText()).isEqualTo("Unhealthy");
  }

  @Test
  void historySinceKeepsLaterTransitionsOfEveryBackendWhenNoNameIsGiven() throws IOException {
    Answer a = get(server, "/records/v1alpha1/history?since=2026-03-01T11:15:00Z", readToken);
    assertThat(a.code()).as(a.body().toString()).isEqualTo(200);
    assertThat(texts(a.body().path("items"), "name")).containsExactly("api-thory", "api-dijon");
  }

  @Test
  void revisionsComeNewestFirstWithCaddysErrorAsMessage() throws IOException {
    Answer a = get(server, "/records/v1alpha1/revisions?limit=50", readToken);
    assertThat(a.code()).as(a.body().toString()).isEqualTo(200);
    JsonNode items = a.body().path("items");
    assertThat(texts(items, "result")).containsExactly("FAILED", "APPLIED");
    assertThat(items.get(0).path("message").asText()).isEqualTo("loading config: bad upstream");
    assertThat(items.get(1).path("message").isNull()).isTrue();
    assertThat(items.get(0).path("revision").asLong())
        .isGreaterThan(items.get(1).path("revision").asLong());
    assertThat(items.get(0).path("hash").asText()).isEqualTo("77aa9c0d11aa22bb");
  }

  @Test
  void rolloutsOfADeploymentComeNewestFirstWithTheirWholeTemplateAndState() throws IOException {
    Answer a = get(server, "/records/v1alpha1/rollouts?kind=Deployment&name=api", readToken);
    assertThat(a.code()).as(a.body().toString()).isEqualTo(200);
    JsonNode items = a.body().path("items");
    assertThat(texts(items, "revision")).containsExactly("3", "2", "1");
    assertThat(texts(items, "state")).containsExactly("RollingOut", "RolledBack", "Complete");
    JsonNode third = items.get(0);
    assertThat(third.path("image").asText()).isEqualTo("local/api:3");
    assertThat(third.path("port").asInt()).isEqualTo(8080);
    assertThat(third.path("env").path("LOG").asText()).isEqualTo("info");
    assertThat(third.path("primaryEnv").path("CRON").asText()).isEqualTo("on");
    assertThat(third.path("time").asText()).isEqualTo("2026-03-01T11:00:00Z");
    Answer one = get(server, "/records/v1alpha1/rollouts?name=api&limit=1", readToken);
    assertThat(texts(one.body().path("items"), "revision")).containsExactly("3");
  }

  @Test
  void rolloutsNeedTheDeploymentsNameAndAReadToken() throws IOException {
    Answer unnamed = get(server, "/records/v1alpha1/rollouts", readToken);
    assertThat(unnamed.code()).isEqualTo(400);
    assertThat(unnamed.body().path("message").asText()).contains("per Deployment", "name=NAME");
    Answer backend = get(server, "/records/v1alpha1/rollouts?kind=Backend&name=api", readToken);
    assertThat(backend.code()).isEqualTo(400);
    assertThat(get(server, "/records/v1alpha1/rollouts?name=api", null).code()).isEqualTo(401);
  }

  @Test
  void aRequestWithoutTokenIsRefused() throws IOException {
    assertThat(get(server, "/records/v1alpha1/events", null).code()).isEqualTo(401);
  }

  @Test
  void badParametersGet400NamingTheParameterAndTheFix() throws IOException {
    Answer limit = get(server, "/records/v1alpha1/events?limit=0", readToken);
    assertThat(limit.code()).isEqualTo(400);
    assertThat(limit.body().path("message").asText()).contains("limit", "between 1 and 1000");
    Answer since = get(server, "/records/v1alpha1/history?since=yesterday", readToken);
    assertThat(since.code()).isEqualTo(400);
    assertThat(since.body().path("message").asText()).contains("since", "RFC 3339");
    Answer kind = get(server, "/records/v1alpha1/history?kind=Site&name=dijon", readToken);
    assertThat(kind.code()).isEqualTo(400);
    assertThat(kind.body().path("message").asText()).contains("backends only");
    Answer name = get(server, "/records/v1alpha1/events?name=Not_A_Name", readToken);
    assertThat(name.code()).isEqualTo(400);
    assertThat(name.body().path("message").asText()).contains("name");
    assertThat(get(server, "/records/v1alpha1/metrics", readToken).code()).isEqualTo(404);
  }

  @Test
  void anUnreachableDatabaseIs503WithRetryAfter() throws IOException {
    Answer a = get(withoutDatabase, "/records/v1alpha1/revisions", readToken);
    assertThat(a.code()).isEqualTo(503);
    assertThat(a.retryAfter()).isEqualTo("2");
    assertThat(a.body().path("message").asText()).contains("records database", "retry");
  }
}
