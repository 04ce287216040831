package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
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
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Runs one probe, blocking the calling thread (meant to be a virtual thread) for at most the
 * check's timeout.
 *
 * <p>HTTP probes go through the process's shared OkHttpClient; a client derived per timeout value
 * (sharing its dispatcher and interceptors) follows no redirect, since a 302 to a login page is not
 * a healthy backend, and lets OkHttp retry nothing, since a retry would hide the failure being
 * measured.
 *
 * <p>Connections are kept alive between probes (a TCP connect and OkHttp's connection set-up per
 * probe were most of the prober's CPU), in pools of the probes' own so a thousand idle probe
 * connections neither crowd out nor are crowded out by the process's other HTTP traffic. There are
 * {@link #POOLS} of them, a target always using the same one: OkHttp scans every connection of a
 * pool to find one for a call, and one pool of a thousand connections made that scan a third of the
 * prober's CPU. Keeping them alive has two risks, each handled:
 *
 * <ul>
 *   <li>a pooled connection the backend has closed meanwhile (idle timeout, restart) fails the
 *       request before a response header arrives: such a failure, and only such a failure (not a
 *       timeout, not a failure on a fresh connection, not one while reading the body), is retried
 *       once on a fresh, unpooled connection within what is left of the timeout. A backend that
 *       refuses connections or hangs still fails its probe at once, with no retry;
 *   <li>a reused connection does not show that the backend still accepts new ones, so every {@link
 *       #FRESH_CONNECTION_EVERY}th probe of a target asks for {@code Connection: close}, and the
 *       next one opens a new connection.
 * </ul>
 *
 * <p>Checks whose interval is at least {@link #KEEP_ALIVE} always ask for {@code Connection:
 * close}: their connection would be evicted (or dropped by the backend) before the next probe.
 */
public final class Prober {
  /** The expected body text is searched in this many first bytes of the response. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /**
   * How long an idle probe connection is kept: below the 5 s idle timeout of common servers
   * (Node.js, Apache), so a connection is rarely reused just as the backend closes it.
   */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(4);

  /** One probe in this many of a target opens (and closes) a connection of its own. */
  static final int FRESH_CONNECTION_EVERY = 30;

  private static final int MAX_IDLE_CONNECTIONS = 10_000;

  private final OkHttpClient shared;

  /** How many connection pools the probes' connections are spread over; a power of two. */
  static final int POOLS = 64;

  private final ConnectionPool[] pools = new ConnectionPool[POOLS];

  /** Connections a request has already gone through: the next request on one reuses it. */
  private final Map<Connection, Boolean> used = Collections.synchronizedMap(new WeakHashMap<>());

  private final Map<ClientKey, OkHttpClient> clientsByTimeout = new ConcurrentHashMap<>();
  private final Map<Duration, OkHttpClient> freshClientsByTimeout = new ConcurrentHashMap<>();

  /**
   * @param shared the process's one OkHttpClient; its dispatcher and interceptors are kept
   */
  public Prober(OkHttpClient shared) {
    this.shared = Objects.requireNonNull(shared, "shared");
    for (int i = 0; i < POOLS; i++) {
      pools[i] =
          new ConnectionPool(MAX_IDLE_CONNECTIONS, KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** A derived client: a timeout value and a connection pool. */
  private record ClientKey(Duration timeout, int pool) {}

  /**
   * What {@link #probe(Prepared)} needs for one target, built once (URL, requests, client) so that
   * a probe loop allocates and parses nothing per probe beyond the call itself. A URL that does not
   * parse is reported by each probe of the result, as {@link #probe(ProbeTarget)} does.
   */
  public Prepared prepare(ProbeTarget target) {
    return new Prepared(target);
  }

  /** Probes {@code target} once; never throws for a failed probe, returns why instead. */
  public ProbeResult probe(ProbeTarget target) {
    return probe(prepare(target));
  }

  /** Probes a prepared target once; never throws for a failed probe, returns why instead. */
  public ProbeResult probe(Prepared prepared) {
    ProbeTarget target = prepared.target;
    long start = System.nanoTime();
    String error;
    try {
      error =
          switch (target.check().type()) {
            case HTTP -> http(prepared, start);
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

  private String http(Prepared prepared, long start) throws IOException {
    if (prepared.url == null) {
      throw new IllegalArgumentException(prepared.invalid);
    }
    try (Response response = execute(prepared, start)) {
      return verdict(prepared.target.check(), response);
    }
  }

  /** The response, through a fresh connection when the pooled one turned out stale. */
  private Response execute(Prepared prepared, long start) throws IOException {
    try {
      return prepared.client.newCall(prepared.nextRequest()).execute();
    } catch (StaleConnectionException stale) {
      long left = prepared.timeoutNanos - (System.nanoTime() - start);
      if (left <= 0) {
        throw stale.failure;
      }
      Call retry = prepared.freshClient.newCall(prepared.closing);
      retry.timeout().timeout(left, TimeUnit.NANOSECONDS);
      return retry.execute();
    }
  }

  private static String verdict(ResolvedHealthCheck check, Response response) throws IOException {
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

  /**
   * The derived client for one timeout value and one of the {@link #POOLS} pools, built once and
   * reused by every probe using them.
   */
  OkHttpClient clientFor(Duration timeout, int pool) {
    return clientsByTimeout.computeIfAbsent(
        new ClientKey(timeout, pool),
        k ->
            derive(k.timeout())
                .connectionPool(pools[k.pool()])
                .addNetworkInterceptor(this::noteReuse)
                .build());
  }

  /** The pool of an endpoint's connections: always the same one for one endpoint. */
  static int poolOf(ProbeTarget target) {
    // Fibonacci hashing: the top bits of the product are spread even when the inputs' low bits
    // are alike (ports and addresses that step together).
    int h = (31 * target.address().hashCode() + target.port()) * 0x9E3779B9;
    return h >>> (Integer.SIZE - Integer.numberOfTrailingZeros(POOLS));
  }

  /**
   * The client of retries: its pool keeps nothing, so its connection is new and closed after use.
   */
  OkHttpClient freshClientFor(Duration timeout) {
    return freshClientsByTimeout.computeIfAbsent(
        timeout,
        t -> derive(t).connectionPool(new ConnectionPool(0, 1, TimeUnit.MILLISECONDS)).build());
  }

  private OkHttpClient.Builder derive(Duration t) {
    return shared
        .newBuilder()
        .connectTimeout(t)
        .readTimeout(t)
        .writeTimeout(t)
        .callTimeout(t)
        .followRedirects(false)
        .followSslRedirects(false)
        .retryOnConnectionFailure(false);
  }

  /** Closes the idle probe connections (they would otherwise close after {@link #KEEP_ALIVE}). */
  public void evictIdleConnections() {
    for (ConnectionPool pool : pools) {
      pool.evictAll();
    }
  }

  /** Idle and in-use connections in the probes' pools, for tests. */
  int pooledConnections() {
    int count = 0;
    for (ConnectionPool pool : pools) {
      count += pool.connectionCount();
    }
    return count;
  }

  /**
   * Marks a failure on a reused connection before any response header as stale, so that {@link
   * #http} retries it; a timeout is never stale (the backend may hang: retrying would double the
   * wait and hide it).
   */
  private Response noteReuse(Interceptor.Chain chain) throws IOException {
    Connection connection = chain.connection();
    boolean reused = connection != null && used.put(connection, Boolean.TRUE) != null;
    try {
      return chain.proceed(chain.request());
    } catch (IOException e) {
      if (reused && !(e instanceof InterruptedIOException)) {
        throw new StaleConnectionException(e);
      }
      throw e;
    }
  }

  /** A request failed on a pooled connection the backend had dropped; carries the real failure. */
  private static final class StaleConnectionException extends IOException {
    final IOException failure;

    StaleConnectionException(IOException failure) {
      super("stale pooled connection: " + failure.getMessage(), failure);
      this.failure = failure;
    }
  }

  /** One target's URL, requests and clients. Its probes must not overlap (a loop's do not). */
  public final class Prepared {
    final ProbeTarget target;
    final HttpUrl url;
    final String invalid;
    final OkHttpClient client;
    final OkHttpClient freshClient;
    final Request keepAlive;
    final Request closing;
    final long timeoutNanos;
    final boolean alwaysClose;
    private int probes;

    private Prepared(ProbeTarget target) {
      this.target = Objects.requireNonNull(target, "target");
      ResolvedHealthCheck check = target.check();
      this.timeoutNanos = check.timeout().toNanos();
      this.alwaysClose = check.interval().compareTo(KEEP_ALIVE) >= 0;
      if (check.type() != HealthCheck.Type.HTTP) {
        url = null;
        invalid = null;
        client = freshClient = null;
        keepAlive = closing = null;
        return;
      }
      HttpUrl parsed;
      String why = null;
      try {
        parsed = url(target.address(), target.port(), check.path());
      } catch (IllegalArgumentException e) {
        parsed = null;
        why = e.getMessage();
      }
      this.url = parsed;
      this.invalid = why;
      this.client = clientFor(check.timeout(), poolOf(target));
      this.freshClient = freshClientFor(check.timeout());
      if (parsed == null) {
        keepAlive = closing = null;
        return;
      }
      Request base =
          new Request.Builder().url(parsed).header("User-Agent", "switchboard-probe").get().build();
      this.keepAlive = base;
      this.closing = base.newBuilder().header("Connection", "close").build();
    }

    /** The request of the next probe: keep-alive, but every so often one that closes. */
    Request nextRequest() {
      if (alwaysClose) {
        return closing;
      }
      return ++probes % FRESH_CONNECTION_EVERY == 0 ? closing : keepAlive;
    }

    /** The target this was prepared for. */
    public ProbeTarget target() {
      return target;
    }
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
    return fixedReason(e);
  }

  /**
   * A reason from a fixed list, never the exception's message: OkHttp quotes what the peer sent
   * ("Unexpected status line: SSH-2.0-OpenSSH_9.6"), and a probe's error reaches the status and the
   * API, readable with any read token; a write token must not learn what an address answers beyond
   * the status code.
   */
  static String fixedReason(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ProtocolException) {
        return "not an HTTP answer";
      }
      if (t instanceof javax.net.ssl.SSLException) {
        return "TLS error";
      }
      if (t instanceof java.io.EOFException) {
        return "connection closed without an answer";
      }
      if (t instanceof java.net.SocketException) {
        return "connection reset or closed";
      }
    }
    return "I/O error (" + e.getClass().getSimpleName() + ")";
  }
}
