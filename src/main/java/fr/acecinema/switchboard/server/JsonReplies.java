package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.fleet.ApiObjects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Writes the JSON answers of the HTTP endpoint: one place decides the content type and the {@code
 * no-store} cache policy of every JSON reply, so no route can forget them. The error bodies
 * themselves are Kubernetes-shaped {@code Status} objects built by {@link ApiObjects#failure}, the
 * contract shared with sbctl.
 */
final class JsonReplies {
  private JsonReplies() {}

  /** Answers {@code code} with {@code body} and completes the request. */
  static void send(Response response, Callback callback, int code, JsonNode body) {
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    // Replies reflect live state (readiness, resourceVersions): a cached copy would mislead.
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    Content.Sink.write(response, true, body.toString() + "\n", callback);
  }

  /** Answers {@code code} with a failure {@code Status} naming {@code reason} and the fix. */
  static void failure(
      Response response, Callback callback, int code, String reason, String message) {
    send(response, callback, code, ApiObjects.failure(code, reason, message, null));
  }

  /**
   * Answers 429: {@code token} already holds {@code max} of {@code what} (per-token limits of
   * {@link PerKeyLimit}); {@code fix} says what to do instead.
   */
  static void tokenLimit(
      Response response, Callback callback, String token, int max, String what, String fix) {
    failure(
        response,
        callback,
        429,
        "TooManyRequests",
        "token '" + token + "' already has " + max + " " + what + "; " + fix);
  }

  /** {@code {"status": text}}: the short body of the health paths' own errors. */
  static ObjectNode status(String text) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("status", text);
    return o;
  }
}
