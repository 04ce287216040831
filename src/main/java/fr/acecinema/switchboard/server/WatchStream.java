package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.fleet.ApiObjects;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * Serves {@code ?watch=true}: one newline-delimited JSON event per change from a {@link WatchHub}
 * watch, a BOOKMARK heartbeat while nothing changes, until {@code timeoutSeconds} (default 30 min,
 * at most 1 h: a client re-watches, as in Kubernetes), an ERROR event, the client leaving, or the
 * server stopping. Holds the request's thread for the life of the stream, which is why {@link
 * WatchHub#MAX_WATCHERS} bounds them (429 beyond).
 */
final class WatchStream {
  /** How often an idle watch stream gets a BOOKMARK event, so dead clients are noticed. */
  static final Duration WATCH_HEARTBEAT = Duration.ofSeconds(15);

  /** Longest {@code timeoutSeconds} a stream is kept for; a larger value is lowered to it. */
  static final long MAX_TIMEOUT_SECONDS = 3600;

  /** Default {@code timeoutSeconds}. */
  static final long DEFAULT_TIMEOUT_SECONDS = 1800;

  /**
   * Watches one token may hold open at once, a quarter of {@link WatchHub#MAX_WATCHERS}: one read
   * token can no longer hold every slot (and thread) for days.
   */
  static final int WATCHES_PER_TOKEN = 8;

  private final WatchHub hub;
  private final BooleanSupplier serving;
  private final PerKeyLimit<String> perToken = new PerKeyLimit<>(WATCHES_PER_TOKEN);

  /**
   * @param serving whether the server still runs: a stopping server ends its streams rather than
   *     wait for their timeouts
   */
  WatchStream(WatchHub hub, BooleanSupplier serving) {
    this.hub = hub;
    this.serving = serving;
  }

  /** Streams events of {@code kind} (one name, or all when null) and completes the request. */
  void serve(
      Request request,
      Response response,
      Callback callback,
      TokenStore.Token token,
      String kind,
      String name,
      Fields query)
      throws Exception {
    if (!perToken.tryAcquire(token.name())) {
      JsonReplies.tokenLimit(
          response,
          callback,
          token.name(),
          WATCHES_PER_TOKEN,
          "watches open (at most " + WATCHES_PER_TOKEN + " per token)",
          "close one or poll instead");
      return;
    }
    try {
      stream(request, response, callback, kind, name, query);
    } finally {
      perToken.release(token.name());
    }
  }

  /**
   * How long a stream asked with {@code timeoutSeconds=value} is kept: the default when absent or
   * not a number, lowered to {@link #MAX_TIMEOUT_SECONDS} (as Kubernetes clients, sbctl
   * re-watches).
   */
  static long timeoutSeconds(String value) {
    if (value == null || !value.matches("[0-9]{1,18}")) {
      return DEFAULT_TIMEOUT_SECONDS;
    }
    return Math.min(MAX_TIMEOUT_SECONDS, Math.max(1, Long.parseLong(value)));
  }

  private void stream(
      Request request, Response response, Callback callback, String kind, String name, Fields query)
      throws Exception {
    Optional<WatchHub.Watch> opened = hub.open(kind, name);
    if (opened.isEmpty()) {
      JsonReplies.failure(
          response,
          callback,
          429,
          "TooManyRequests",
          WatchHub.MAX_WATCHERS + " watches are open; close one or poll instead");
      return;
    }
    long timeoutSeconds = timeoutSeconds(query.getValue("timeoutSeconds"));
    // The stream is idle between events: only heartbeats keep it, not the idle timeout.
    request
        .getConnectionMetaData()
        .getConnection()
        .getEndPoint()
        .setIdleTimeout(WATCH_HEARTBEAT.multipliedBy(3).toMillis());
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    try (WatchHub.Watch w = opened.get();
        OutputStream out = Content.Sink.asOutputStream(response)) {
      // Headers go out at once so the client knows the watch is open before the first event.
      out.flush();
      while (System.nanoTime() < end && serving.getAsBoolean()) {
        JsonNode event = w.next(WATCH_HEARTBEAT);
        out.write(ApiObjects.bytes(event == null ? hub.bookmark(kind) : event));
        out.flush();
        if (event != null && "ERROR".equals(event.path("type").asText())) {
          break;
        }
      }
      callback.succeeded();
    } catch (IOException e) {
      // The client went away; nothing to answer.
      callback.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
    }
  }
}
