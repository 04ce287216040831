package fr.acecinema.switchboard.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads request bodies under the {@link ApiServer.Settings#maxBodyBytes()} cap and answers 413
 * itself when a body is larger. The cap is checked twice: against the declared length before
 * reading anything, and while reading, because a chunked body declares none. A body Jetty cannot
 * parse (a malformed chunk size, for one) is answered 400, never the 500 of an internal error.
 */
final class RequestBodies {
  /**
   * How much of an oversized body is read and dropped before the 413 and the close. A client that
   * sends its body without waiting (no {@code Expect: 100-continue}, as the JDK's and most clients
   * do) is still writing when the answer comes; closing a socket with unread bytes makes the kernel
   * reset the connection, and the client then sees a broken pipe instead of the 413 (seen once in
   * CI with a 2 MiB body). Draining what is already on its way lets the answer arrive; beyond this
   * bound the connection is closed anyway.
   */
  static final long DRAIN_LIMIT = 8L << 20;

  private final long max;

  RequestBodies(long max) {
    this.max = max;
  }

  /** The whole body, or empty once 413 has been answered. */
  Optional<byte[]> read(Request request, Response response, Callback callback) throws IOException {
    long declared = request.getLength();
    if (declared > max) {
      if (declared <= DRAIN_LIMIT) {
        try (InputStream in = Content.Source.asInputStream(request)) {
          drain(in, DRAIN_LIMIT);
        } catch (IOException | RuntimeException e) {
          // the client stopped sending: answer what can still be answered
        }
      }
      tooLarge(response, callback, declared);
      return Optional.empty();
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    byte[] chunk = new byte[16 * 1024];
    try (InputStream in = Content.Source.asInputStream(request)) {
      int n;
      while ((n = in.read(chunk)) > 0) {
        buffer.write(chunk, 0, n);
        if (buffer.size() > max) {
          drain(in, DRAIN_LIMIT - buffer.size());
          tooLarge(response, callback, -1);
          return Optional.empty();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Jetty's parser fails the body with an HttpException (a 4xx) when the client sent a bad
      // one, e.g. a chunk size that is not hexadecimal: the client's fault, not an internal error.
      if (timedOut(e)) {
        // The body stopped coming for the idle timeout: the client's fault, and the connection
        // cannot go on (the rest of the body may still come).
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        JsonReplies.failure(
            response,
            callback,
            408,
            "Timeout",
            "the request body stopped arriving; send the whole body at once");
        return Optional.empty();
      }
      Optional<HttpException> bad = httpException(e);
      if (bad.isEmpty()) {
        throw e;
      }
      malformed(response, callback, bad.get());
      return Optional.empty();
    }
    return Optional.of(buffer.toByteArray());
  }

  /** Reads and drops at most {@code limit} bytes, up to the end of the body. */
  private static void drain(InputStream in, long limit) throws IOException {
    byte[] sink = new byte[64 * 1024];
    long left = limit;
    int n;
    while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
      left -= n;
    }
  }

  private static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static Optional<HttpException> httpException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }

  private void malformed(Response response, Callback callback, HttpException e) {
    if (e.getCode() == 413) {
      tooLarge(response, callback, -1);
      return;
    }
    // The parser cannot find the end of a body it could not parse: the connection cannot go on.
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    String reason = e.getReason() == null ? "" : e.getReason();
    JsonReplies.failure(
        response,
        callback,
        400,
        "BadRequest",
        "malformed request body"
            + (reason.isEmpty() ? "" : " (" + reason + ")")
            + "; send a Content-Length or valid chunked encoding");
  }

  private void tooLarge(Response response, Callback callback, long declared) {
    // What was not drained may still be on the wire: the connection cannot go on.
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    JsonReplies.failure(
        response,
        callback,
        413,
        "RequestEntityTooLarge",
        "request body"
            + (declared > 0 ? " of " + declared + " bytes" : "")
            + " is larger than "
            + max
            + " bytes; send one resource per request");
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper YAML =
      new com.fasterxml.jackson.databind.ObjectMapper(
          new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

  /**
   * The body's first document as a tree (JSON is YAML), for policy checks before it is applied;
   * null when it does not parse (applying it then fails with the parser's own message).
   */
  static com.fasterxml.jackson.databind.JsonNode tree(byte[] body) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = YAML.readTree(body);
      return node == null || !node.isObject() ? null : node;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The first line of a parser's message (Jackson appends source excerpts). */
  static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
