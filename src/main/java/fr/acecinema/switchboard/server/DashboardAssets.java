package fr.acecinema.switchboard.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The web dashboard under {@code /ui/}: a fixed set of static files read from the jar ({@code
 * src/main/resources/ui/}) once, at start-up. They hold no fleet data and need no token: the page
 * asks for one and sends it as a bearer on its API calls, like sbctl does.
 *
 * <p>Only the listed files are served, so no path in a request ever reaches the class loader. Every
 * reply is {@code no-store} (a proxy must not keep an old dashboard beside a newer API) and carries
 * a content security policy that allows this origin's scripts, styles and API calls only: the page
 * shows names and messages taken from manifests, and a policy without inline scripts keeps such
 * text from ever running as code.
 */
final class DashboardAssets {
  /** Where the dashboard is served; {@code /ui} redirects here. */
  static final String PREFIX = "/ui/";

  private static final Map<String, String> TYPES =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "dashboard.css", "text/css; charset=utf-8",
          "dashboard.js", "text/javascript; charset=utf-8",
          "kinds.js", "text/javascript; charset=utf-8");

  private static final String POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private final Map<String, byte[]> files = new TreeMap<>();

  /**
   * Reads the files from the class path.
   *
   * @throws UncheckedIOException when one is missing: a jar built without them is broken
   */
  DashboardAssets() {
    for (String name : TYPES.keySet()) {
      try (InputStream in = DashboardAssets.class.getResourceAsStream("/ui/" + name)) {
        if (in == null) {
          throw new IOException("/ui/" + name + " is missing from the class path");
        }
        files.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException("the dashboard cannot be served: " + e.getMessage(), e);
      }
    }
  }

  /** Whether {@code path} is the dashboard's ({@code /ui} or below). */
  static boolean owns(String path) {
    return path.equals("/ui") || path.startsWith(PREFIX);
  }

  /** Answers a request for {@code path}, one that {@link #owns} accepted. */
  void serve(String method, String path, Response response, Callback callback) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      JsonReplies.failure(
          response, callback, 405, "MethodNotAllowed", "the dashboard is read with GET");
      return;
    }
    if (path.equals("/ui")) {
      // Relative URLs in the page (dashboard.js, the API) resolve against /ui/, not /.
      response.setStatus(308);
      response.getHeaders().put(HttpHeader.LOCATION, PREFIX);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      callback.succeeded();
      return;
    }
    String name = path.substring(PREFIX.length());
    if (name.isEmpty()) {
      name = "index.html";
    }
    byte[] body = files.get(name);
    if (body == null) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "no such dashboard file; open "
              + PREFIX
              + " (files: "
              + String.join(", ", files.keySet())
              + ")");
      return;
    }
    response.setStatus(200);
    var headers = response.getHeaders();
    headers.put(HttpHeader.CONTENT_TYPE, TYPES.get(name));
    headers.put(HttpHeader.CACHE_CONTROL, "no-store");
    headers.put("Content-Security-Policy", POLICY);
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put(HttpHeader.CONTENT_LENGTH, body.length);
    if (method.equals("HEAD")) {
      response.write(true, ByteBuffer.allocate(0), callback);
    } else {
      response.write(true, ByteBuffer.wrap(body), callback);
    }
  }
}
