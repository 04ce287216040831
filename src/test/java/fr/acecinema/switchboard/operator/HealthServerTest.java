package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthServerTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicBoolean ready = new AtomicBoolean(false);
  private HealthServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    if (server == null) {
      server = HealthServer.start(new InetSocketAddress("127.0.0.1", 0), ready::get);
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
    assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}\n");
  }

  @Test
  void readyzAnswers503UntilTheInitialScanIsDoneThen200() throws Exception {
    HttpResponse<String> before = send("GET", "/readyz");
    assertThat(before.statusCode()).isEqualTo(503);
    assertThat(before.body()).contains("\"not ready\"");
    ready.set(true);
    HttpResponse<String> after = send("GET", "/readyz");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.body()).isEqualTo("{\"status\":\"ready\"}\n");
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
    ready.set(true);
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
    assertThatThrownBy(() -> HealthServer.start(taken, () -> true))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("127.0.0.1:" + server.port())
        .hasMessageContaining("SWITCHBOARD_LISTEN");
  }

  @Test
  void freesThePortOnClose() throws Exception {
    send("GET", "/healthz");
    int port = server.port();
    server.close();
    server = HealthServer.start(new InetSocketAddress("127.0.0.1", port), () -> true);
    assertThat(send("GET", "/healthz").statusCode()).isEqualTo(200);
  }
}
