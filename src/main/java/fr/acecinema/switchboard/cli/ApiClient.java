package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The HTTP side of sbctl against a remote Switchboard: the server's base URL, the bearer token, and
 * the reading of answers (a failure becomes an IOException naming the call, the server, the
 * server's message and the fix for 401/403). Shared by {@link RemoteFleet} and {@link
 * RemoteRecords}.
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpUrl base;
  private final String token;
  private final OkHttpClient http;

  ApiClient(URI server, String token, OkHttpClient http) {
    this.base = HttpUrl.get(server.toString()).newBuilder().encodedPath("/").build();
    this.token = token;
    this.http = http;
  }

  /** The server, as named in messages. */
  HttpUrl base() {
    return base;
  }

  /** A URL on the server, to add path segments and parameters to. */
  HttpUrl.Builder url() {
    return base.newBuilder();
  }

  /** A request to {@code url} with the token, asking for JSON. */
  Request.Builder request(HttpUrl url) {
    return new Request.Builder()
        .url(url)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json");
  }

  /** Executes a request; the caller closes the response. */
  Response execute(Request request) throws IOException {
    try {
      return http.newCall(request).execute();
    } catch (SSLException e) {
      throw new IOException(
          base
              + ": TLS failed ("
              + e.getMessage()
              + "); if the hub's certificate is its own (not from a public CA), trust it with"
              + " --server-ca FILE or SWITCHBOARD_SERVER_CA=FILE (the PEM of its --tls-cert)",
          e);
    }
  }

  /** GETs {@code url} and returns its JSON body, or throws naming {@code what}. */
  JsonNode get(HttpUrl url, String what) throws IOException {
    try (Response response = execute(request(url).get().build())) {
      return body(response, what);
    }
  }

  /** The JSON body of a successful answer; otherwise an IOException with the server's message. */
  JsonNode body(Response response, String what) throws IOException {
    String text = response.body() == null ? "" : response.body().string();
    if (!response.isSuccessful()) {
      throw new IOException(
          what + " on " + base + ": " + message(text, response.code()) + hint(response.code()));
    }
    return JSON.readTree(text);
  }

  private static String hint(int code) {
    return switch (code) {
      case 401 -> " (check SWITCHBOARD_TOKEN; sbctl token list on the hub)";
      case 403 -> " (create a token with a wider --scope on the hub)";
      default -> "";
    };
  }

  /** The message of a failure {@code Status}, every detail when there are several. */
  static String message(String text, int code) {
    try {
      JsonNode node = JSON.readTree(text);
      JsonNode details = node.path("details");
      if (details.isArray() && details.size() > 1) {
        List<String> lines = new ArrayList<>();
        details.forEach(d -> lines.add(d.asText()));
        return String.join("; ", lines);
      }
      return node.path("message").asText("HTTP " + code);
    } catch (IOException e) {
      return "HTTP " + code;
    }
  }
}
