package fr.acecinema.switchboard.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the configured webhook URLs: POST of the JSON body with {@code
 * X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the raw body>} and {@code
 * X-Switchboard-Timestamp} (Unix seconds, also inside the signed body as {@code time}). Failed
 * deliveries (connection error or non-2xx) are retried with exponential backoff; at most {@link
 * Settings#capacity()} deliveries wait at once, beyond which new events are dropped and counted
 * ({@code switchboard.webhook.deliveries{result=dropped}}), so a dead receiver costs bounded memory
 * and never slows a reconcile.
 */
public final class Webhooks implements Notifier, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
  private static final MediaType JSON = MediaType.get("application/json");
  public static final String SIGNATURE = "X-Switchboard-Signature";
  public static final String TIMESTAMP = "X-Switchboard-Timestamp";
  public static final String EVENT = "X-Switchboard-Event";

  /**
   * Delivery policy.
   *
   * @param attempts tries per URL and event (first try included)
   * @param firstBackoff wait before the second try; doubled for each further one
   * @param maxBackoff cap of the wait
   * @param timeout per request
   * @param capacity deliveries pending at once (queued or waiting for a retry)
   */
  public record Settings(
      int attempts, Duration firstBackoff, Duration maxBackoff, Duration timeout, int capacity) {
    /** 6 tries over about a minute, 5 s per request, 1,000 pending. */
    public static Settings defaults() {
      return new Settings(
          6, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(5), 1000);
    }

    /** The wait before try {@code attempt} (2 = first retry). */
    Duration backoff(int attempt) {
      long factor = 1L << Math.min(20, attempt - 2);
      Duration d = firstBackoff.multipliedBy(factor);
      return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }
  }

  private final List<URI> urls;
  private final byte[] secret;
  private final OkHttpClient http;
  private final Settings settings;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger pending = new AtomicInteger();
  private final Counter delivered;
  private final Counter failed;
  private final Counter dropped;
  private final Counter retried;

  public Webhooks(
      List<URI> urls,
      String secret,
      OkHttpClient http,
      Settings settings,
      MeterRegistry meters,
      Clock clock) {
    this.urls = List.copyOf(urls);
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
    this.http = http.newBuilder().callTimeout(settings.timeout()).followRedirects(false).build();
    this.settings = settings;
    this.clock = clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("webhooks").daemon().factory());
    delivered = deliveries(meters, "delivered");
    failed = deliveries(meters, "failed");
    dropped = deliveries(meters, "dropped");
    retried = deliveries(meters, "retried");
  }

  private static Counter deliveries(MeterRegistry meters, String result) {
    return Counter.builder("switchboard.webhook.deliveries")
        .description(
            "Webhook deliveries by result: delivered, failed (after the last retry), dropped (queue"
                + " full) or retried")
        .tag("result", result)
        .register(meters);
  }

  @Override
  public void publish(WebhookEvent event) {
    String body = event.json();
    for (URI url : urls) {
      if (pending.incrementAndGet() > settings.capacity()) {
        pending.decrementAndGet();
        dropped.increment();
        LOG.warn("webhook queue full; dropped {} event for {}", event.type(), url.getHost());
        continue;
      }
      try {
        scheduler.execute(() -> attempt(url, event, body, 1));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        pending.decrementAndGet(); // Closing: nothing more is delivered.
      }
    }
  }

  private void attempt(URI url, WebhookEvent event, String body, int attempt) {
    long now = clock.instant().getEpochSecond();
    Request request =
        new Request.Builder()
            .url(url.toString())
            .header(SIGNATURE, "sha256=" + sign(secret, body))
            .header(TIMESTAMP, Long.toString(now))
            .header(EVENT, event.type())
            .header("User-Agent", "switchboard-webhooks")
            .post(RequestBody.create(body.getBytes(StandardCharsets.UTF_8), JSON))
            .build();
    String problem;
    // Delivered from the scheduler's single thread: a slow receiver delays later events, never a
    // reconcile; the per-request timeout bounds the delay.
    try (Response response = http.newCall(request).execute()) {
      if (response.isSuccessful()) {
        delivered.increment();
        pending.decrementAndGet();
        LOG.debug("webhook {} delivered to {} ({})", event.type(), url.getHost(), attempt);
        return;
      }
      problem = "HTTP " + response.code();
    } catch (IOException | RuntimeException e) {
      problem = e.toString();
    }
    if (attempt >= settings.attempts()) {
      failed.increment();
      pending.decrementAndGet();
      LOG.warn(
          "webhook {} to {} failed after {} attempts: {}",
          event.type(),
          url.getHost(),
          attempt,
          problem);
      return;
    }
    retried.increment();
    Duration wait = settings.backoff(attempt + 1);
    LOG.info(
        "webhook {} to {} failed ({}), retrying in {}", event.type(), url.getHost(), problem, wait);
    try {
      scheduler.schedule(
          () -> attempt(url, event, body, attempt + 1), wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet();
    }
  }

  /** Deliveries queued or waiting for a retry. */
  public int pending() {
    return pending.get();
  }

  /** Hex HMAC-SHA256 of {@code body} under {@code key}: what a receiver recomputes to verify. */
  public static String sign(byte[] key, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Stops delivering; pending retries are abandoned. */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
