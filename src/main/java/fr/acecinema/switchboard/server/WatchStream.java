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
 * watch, a BOOKMARK heartbeat while nothing changes, until {@code timeoutSeconds} (default 30 min),
 * an ERROR event, the client leaving, or the server stopping. Holds the request's thread for the
 * life of the stream, which is why {@link WatchHub#MAX_WATCHERS} bounds them (429 beyond).
 */
final class WatchStream {
  /** How often an idle watch stream gets a BOOKMARK event, so dead clients are noticed. */
  static final Duration WATCH_HEARTBEAT = Duration.ofSeconds(15);

  private final WatchHub hub;
  private final BooleanSupplier serving;

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
    long timeoutSeconds = 1800;
    String t = query.getValue("timeoutSeconds");
    if (t != null && t.matches("[0-9]{1,6}")) {
      timeoutSeconds = Math.max(1, Long.parseLong(t));
    }
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
