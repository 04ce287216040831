package fr.acecinema.switchboard.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads request bodies under the {@link ApiServer.Settings#maxBodyBytes()} cap and answers 413
 * itself when a body is larger. The cap is checked twice: against the declared length before
 * reading anything, and while reading, because a chunked body declares none.
 */
final class RequestBodies {
  private final long max;

  RequestBodies(long max) {
    this.max = max;
  }

  /** The whole body, or empty once 413 has been answered. */
  Optional<byte[]> read(Request request, Response response, Callback callback) throws IOException {
    long declared = request.getLength();
    if (declared > max) {
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
          tooLarge(response, callback, -1);
          return Optional.empty();
        }
      }
    }
    return Optional.of(buffer.toByteArray());
  }

  private void tooLarge(Response response, Callback callback, long declared) {
    // The rest of the body is still on the wire: closing is cheaper than draining it.
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
}
