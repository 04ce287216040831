package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthServerTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicReference<Readiness> report = new AtomicReference<>(Readiness.of(false));
  private HealthServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    if (server == null) {
      server = HealthServer.start(new InetSocketAddress("127.0.0.1", 0), report::get);
    }
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthzAnswersOkWhileAlive() throws Exception {
    HttpResponse<String> r = send("GET", "/healthz");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json(r).path("status").asText()).isEqualTo("ok");
  }

  @Test
  void readyzAnswers503UntilTheInitialScanIsDoneThen200() throws Exception {
    HttpResponse<String> before = send("GET", "/readyz");
    assertThat(before.statusCode()).isEqualTo(503);
    assertThat(json(before).path("status").asText()).isEqualTo("not ready");
    assertThat(json(before).path("reason").asText()).isEqualTo("initial scan not finished");
    report.set(Readiness.of(true));
    HttpResponse<String> after = send("GET", "/readyz");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(json(after).path("status").asText()).isEqualTo("ready");
    assertThat(json(after).at("/conditions/0/reason").asText())
        .isEqualTo(ProcessConditions.INITIAL_SCAN_DONE);
  }

  @Test
  void readyzAnswers503WhenTheCheckThrows() throws Exception {
    server =
        HealthServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            () -> {
              throw new IllegalStateException("store closed");
            });
    assertThat(send("GET", "/readyz").statusCode()).isEqualTo(503);
  }

  @Test
  void headGetsStatusWithoutBody() throws Exception {
    report.set(Readiness.of(true));
    HttpResponse<String> r = send("HEAD", "/readyz");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
  }

  @Test
  void rejectsOtherMethodsAndPaths() throws Exception {
    assertThat(send("POST", "/healthz").statusCode()).isEqualTo(405);
    HttpResponse<String> unknown = send("GET", "/metrics-not-here");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("/healthz");
  }

  @Test
  void answersManyConcurrentProbes() throws Exception {
    send("GET", "/healthz");
    var futures =
        java.util.stream.IntStream.range(0, 50)
            .mapToObj(
                i ->
                    http.sendAsync(
                        HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()))
            .toList();
    for (var f : futures) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
  }

  @Test
  void explainsWhenTheAddressIsTaken() throws Exception {
    send("GET", "/healthz");
    InetSocketAddress taken = new InetSocketAddress("127.0.0.1", server.port());
    assertThatThrownBy(() -> HealthServer.start(taken, () -> Readiness.of(true)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("127.0.0.1:" + server.port())
        .hasMessageContaining("SWITCHBOARD_LISTEN");
  }

  @Test
  void freesThePortOnClose() throws Exception {
    send("GET", "/healthz");
    int port = server.port();
    server.close();
    server = HealthServer.start(new InetSocketAddress("127.0.0.1", port), () -> Readiness.of(true));
    assertThat(send("GET", "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void readyzListsProcessConditionsAndStays200WhileTheDatabaseIsDown() throws Exception {
    Condition records =
        new Condition(
            "RecordsSynced", Condition.FALSE, "DatabaseUnavailable", "connection refused");
    records.lastTransitionTime = "2025-01-01T10:42:00Z";
    report.set(new Readiness(true, List.of(ProcessConditions.ready(true, false), records)));
    HttpResponse<String> r = send("GET", "/readyz");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.at("/conditions/1/type").asText()).isEqualTo("RecordsSynced");
    assertThat(body.at("/conditions/1/status").asText()).isEqualTo("False");
    assertThat(body.at("/conditions/1/reason").asText()).isEqualTo("DatabaseUnavailable");
    assertThat(body.at("/conditions/1/message").asText()).isEqualTo("connection refused");
    assertThat(body.at("/conditions/1/lastTransitionTime").asText())
        .isEqualTo("2025-01-01T10:42:00Z");
    HttpResponse<String> health = send("GET", "/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(json(health).at("/conditions/1/reason").asText()).isEqualTo("DatabaseUnavailable");
  }

  @Test
  void aFailingCheckIsReportedAsAReadyCondition() throws Exception {
    server =
        HealthServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            () -> {
              throw new IllegalStateException("store closed");
            });
    JsonNode body = json(send("GET", "/readyz"));
    assertThat(body.at("/conditions/0/reason").asText()).isEqualTo(ProcessConditions.CHECK_FAILED);
    assertThat(body.at("/conditions/0/message").asText()).contains("store closed");
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return new ObjectMapper().readTree(r.body());
  }
}
