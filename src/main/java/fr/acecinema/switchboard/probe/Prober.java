package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Runs one probe, blocking the calling thread (meant to be a virtual thread) for at most the
 * check's timeout.
 *
 * <p>HTTP probes go through the process's shared OkHttpClient; a client derived per timeout value
 * (sharing its pool and dispatcher) follows no redirect, since a 302 to a login page is not a
 * healthy backend, and never retries, since a retry would hide the failure being measured. Each
 * probe asks for {@code Connection: close}: a pooled keep-alive connection the backend has already
 * dropped would otherwise fail the next probe with no retry to mask it, and a fresh connection is
 * also what tests that the backend still accepts connections.
 */
public final class Prober {
  /** The expected body text is searched in this many first bytes of the response. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private final OkHttpClient shared;
  private final Map<Duration, OkHttpClient> clientsByTimeout = new ConcurrentHashMap<>();

  /**
   * @param shared the process's one OkHttpClient; its pool, dispatcher and interceptors are kept
   */
  public Prober(OkHttpClient shared) {
    this.shared = Objects.requireNonNull(shared, "shared");
  }

  /** Probes {@code target} once; never throws for a failed probe, returns why instead. */
  public ProbeResult probe(ProbeTarget target) {
    long start = System.nanoTime();
    String error;
    try {
      error =
          switch (target.check().type()) {
            case HTTP -> http(target);
            case TCP -> tcp(target);
          };
    } catch (IOException e) {
      error = describe(e, target);
    } catch (IllegalArgumentException e) {
      error = e.getMessage();
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    Instant now = Instant.now();
    return error == null
        ? ProbeResult.success(millis, now)
        : ProbeResult.failure(millis, error, now);
  }

  private String http(ProbeTarget target) throws IOException {
    ResolvedHealthCheck check = target.check();
    Request request =
        new Request.Builder()
            .url(url(target.address(), target.port(), check.path()))
            .header("Connection", "close")
            .header("User-Agent", "switchboard-probe")
            .get()
            .build();
    try (Response response = clientFor(check.timeout()).newCall(request).execute()) {
      int code = response.code();
      if (!check.acceptsStatus(code)) {
        return "HTTP " + code + ", expected " + check.expectStatus();
      }
      String expected = check.expectBody();
      if (expected != null && !expected.isEmpty()) {
        String body = response.peekBody(MAX_BODY_BYTES).string();
        if (!body.contains(expected)) {
          return "body does not contain \"" + expected + "\"";
        }
      }
      return null;
    }
  }

  private String tcp(ProbeTarget target) throws IOException {
    String host = unbracket(target.address());
    InetSocketAddress address = new InetSocketAddress(host, target.port());
    if (address.isUnresolved()) {
      throw new UnknownHostException(host);
    }
    try (Socket socket = new Socket()) {
      socket.connect(address, timeoutMillis(target.check().timeout()));
      return null;
    }
  }

  /** The derived client for one timeout value, built once and reused by every probe using it. */
  OkHttpClient clientFor(Duration timeout) {
    return clientsByTimeout.computeIfAbsent(
        timeout,
        t ->
            shared
                .newBuilder()
                .connectTimeout(t)
                .readTimeout(t)
                .writeTimeout(t)
                .callTimeout(t)
                .followRedirects(false)
                .followSslRedirects(false)
                .retryOnConnectionFailure(false)
                .build());
  }

  /**
   * The probe URL; IPv6 literals get the brackets a URL needs.
   *
   * @throws IllegalArgumentException with the offending URL when it does not parse
   */
  static HttpUrl url(String address, int port, String path) {
    String host = address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    String p = path == null || path.isEmpty() ? "/" : path.startsWith("/") ? path : "/" + path;
    String text = "http://" + host + ":" + port + p;
    HttpUrl url = HttpUrl.parse(text);
    if (url == null) {
      throw new IllegalArgumentException("invalid probe URL " + text);
    }
    return url;
  }

  private static String unbracket(String address) {
    return address.startsWith("[") && address.endsWith("]")
        ? address.substring(1, address.length() - 1)
        : address;
  }

  private static int timeoutMillis(Duration timeout) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
  }

  /** A short, stable text for a failed probe: what an operator greps for in status. */
  static String describe(IOException e, ProbeTarget target) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (t instanceof ConnectException && message.toLowerCase().contains("refused")) {
        return "connection refused";
      }
      if (t instanceof NoRouteToHostException) {
        return "no route to host";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + target.address();
      }
    }
    if (e instanceof InterruptedIOException && !Thread.currentThread().isInterrupted()) {
      return "timed out after " + target.check().timeout().toMillis() + " ms";
    }
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }
}
