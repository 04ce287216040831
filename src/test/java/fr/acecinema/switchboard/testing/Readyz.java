package fr.acecinema.switchboard.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The body of a local {@code sbctl run}'s {@code /readyz}. */
public final class Readyz {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Readyz() {}

  /** GET {@code http://127.0.0.1:port/readyz}; throws while nothing listens. */
  public static String body(int port) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Whether it answers {@code "status":"ready"}. */
  public static boolean ready(int port) throws Exception {
    return body(port).contains("\"status\":\"ready\"");
  }
}
