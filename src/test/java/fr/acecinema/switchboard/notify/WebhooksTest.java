package fr.acecinema.switchboard.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhook delivery to a real HTTP receiver on loopback. */
class WebhooksTest {
  private static final String SECRET = "0123456789abcdef-secret";
  private HttpServer receiver;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final List<String> signatures = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final OkHttpClient http = new OkHttpClient();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Webhooks webhooks;

  @BeforeEach
  void start() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    receiver.createContext(
        "/hook",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          int code = failuresLeft.getAndDecrement() > 0 ? 503 : 204;
          if (code == 204) {
            bodies.add(body);
            signatures.add(ex.getRequestHeaders().getFirst(Webhooks.SIGNATURE));
          }
          ex.sendResponseHeaders(code, -1);
          ex.close();
        });
    receiver.start();
  }

  @AfterEach
  void stop() {
    if (webhooks != null) {
      webhooks.close();
    }
    receiver.stop(0);
    http.dispatcher().executorService().shutdown();
  }

  private Webhooks webhooks(Webhooks.Settings settings) {
    URI url = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
    return new Webhooks(List.of(url), SECRET, http, settings, meters, Clock.systemUTC());
  }

  @Test
  void signsTheRawBodyWithHmacSha256() {
    webhooks = webhooks(Webhooks.Settings.defaults());
    webhooks.publish(
        WebhookEvent.of(
            "BackendDown",
            "Backend",
            "api-dijon",
            "Ready",
            "False",
            "True",
            "ProbeFailed",
            "HTTP 500",
            Instant.parse("2026-01-01T00:00:00Z")));
    await().atMost(Duration.ofSeconds(5)).until(() -> bodies.size() == 1);
    String body = bodies.get(0);
    assertThat(body).contains("\"type\":\"BackendDown\"").contains("\"name\":\"api-dijon\"");
    assertThat(signatures.get(0))
        .isEqualTo("sha256=" + Webhooks.sign(SECRET.getBytes(StandardCharsets.UTF_8), body));
    assertThat(signatures.get(0))
        .isNotEqualTo("sha256=" + Webhooks.sign("other".getBytes(StandardCharsets.UTF_8), body));
  }

  @Test
  void retriesWithBackoffUntilTheReceiverRecovers() {
    failuresLeft.set(3);
    webhooks =
        webhooks(
            new Webhooks.Settings(
                5, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(2), 10));
    webhooks.caddySyncFailed("connection refused");
    await().atMost(Duration.ofSeconds(5)).until(() -> bodies.size() == 1);
    assertThat(bodies.get(0)).contains("CaddySyncFailed").contains("connection refused");
    assertThat(meters.counter("switchboard.webhook.deliveries", "result", "retried").count())
        .isEqualTo(3);
    assertThat(webhooks.pending()).isZero();
  }

  @Test
  void givesUpAfterTheLastAttemptAndDropsBeyondCapacity() {
    failuresLeft.set(1000);
    webhooks =
        webhooks(
            new Webhooks.Settings(
                2, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofSeconds(2), 3));
    for (int i = 0; i < 5; i++) {
      webhooks.caddySyncFailed("down " + i);
    }
    assertThat(meters.counter("switchboard.webhook.deliveries", "result", "dropped").count())
        .isEqualTo(2);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                meters.counter("switchboard.webhook.deliveries", "result", "failed").count() == 3);
    assertThat(webhooks.pending()).isZero();
  }

  @Test
  void backoffDoublesUpToTheCap() {
    Webhooks.Settings s =
        new Webhooks.Settings(6, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ZERO, 1);
    assertThat(List.of(s.backoff(2), s.backoff(3), s.backoff(4), s.backoff(5), s.backoff(6)))
        .containsExactly(
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(8),
            Duration.ofSeconds(16),
            Duration.ofSeconds(30));
  }
}
