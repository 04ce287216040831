package fr.acecinema.switchboard.probe;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.probe.TestBackend.Answer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProberTest {
  private static final OkHttpClient SHARED = new OkHttpClient();
  private final Prober prober = new Prober(SHARED);
  private TestBackend backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = TestBackend.start("127.0.0.2");
  }

  @AfterEach
  void stopBackend() {
    backend.close();
  }

  @AfterEach
  void closeProbeConnections() {
    prober.evictIdleConnections();
  }

  @AfterAll
  static void closeClient() {
    SHARED.dispatcher().executorService().shutdown();
    SHARED.connectionPool().evictAll();
  }

  private ProbeResult probeHttp(String path, String expectStatus, String expectBody) {
    return prober.probe(
        new ProbeTarget(
            backend.address(),
            backend.port(),
            Checks.http(path, 1000, 1000, 2, 2, expectStatus, expectBody)));
  }

  @Test
  void passesWhenStatusAndBodyMatch() {
    backend.answer(Answer.ok("{\"status\":\"ok\"}"));
    ProbeResult r = probeHttp("/health", "200-399", "ok");
    assertThat(r.success()).isTrue();
    assertThat(r.error()).isNull();
    assertThat(r.latencyMillis()).isBetween(0L, 1000L);
    assertThat(r.finishedAt()).isNotNull();
    assertThat(backend.requests("/health")).isEqualTo(1);
  }

  @Test
  void failsOnAStatusOutsideTheExpectedRanges() {
    backend.answer(Answer.status(503));
    ProbeResult r = probeHttp("/health", "200-399", null);
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("HTTP 503, expected 200-399");
  }

  @Test
  void acceptsAStatusListedAmongSeveralRanges() {
    backend.answer(Answer.status(204));
    assertThat(probeHttp("/", "200,204", null).success()).isTrue();
    assertThat(probeHttp("/", "200", null).error()).isEqualTo("HTTP 204, expected 200");
  }

  /**
   * What a non-HTTP service sends back (an SSH banner here) never reaches the probe's error, which
   * ends up in the status and the API: only a fixed reason does.
   */
  @Test
  void aServiceThatIsNotHttpGetsAFixedReasonNeverWhatItSent() throws Exception {
    try (ServerSocket banner = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.3"))) {
      ExecutorService accept = Executors.newSingleThreadExecutor();
      try {
        accept.submit(
            (Callable<Void>)
                () -> {
                  for (int i = 0; i < 4; i++) {
                    try (var s = banner.accept()) {
                      s.getOutputStream().write("SSH-2.0-OpenSSH_secret-banner\r\n".getBytes());
                      s.getOutputStream().flush();
                      s.getInputStream().read(new byte[1024]);
                    }
                  }
                  return null;
                });
        ProbeResult r =
            prober.probe(
                new ProbeTarget(
                    "127.0.0.3",
                    banner.getLocalPort(),
                    Checks.http("/health", 1000, 1000, 2, 2, "200-399", null)));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).isEqualTo("not an HTTP answer").doesNotContain("secret");
      } finally {
        accept.shutdownNow();
      }
    }
  }

  @Test
  void failsWhenTheBodyLacksTheExpectedText() {
    backend.answer(Answer.ok("degraded"));
    ProbeResult r = probeHttp("/health", "200-399", "ok");
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("body does not contain \"ok\"");
  }

  @Test
  void searchesTheExpectedTextOnlyInTheFirst64KiB() {
    String padding = "x".repeat(Prober.MAX_BODY_BYTES);
    backend.answer(Answer.ok("early " + padding));
    assertThat(probeHttp("/", "200", "early").success()).isTrue();
    backend.answer(Answer.ok(padding + " late"));
    assertThat(probeHttp("/", "200", "late").error()).isEqualTo("body does not contain \"late\"");
  }

  @Test
  void doesNotFollowRedirects() {
    backend.answer(Answer.status(302));
    ProbeResult r = probeHttp("/health", "200", null);
    assertThat(r.error()).isEqualTo("HTTP 302, expected 200");
    assertThat(backend.requests("/elsewhere")).isZero();
  }

  @Test
  void reportsConnectionRefusedOnAClosedPort() throws Exception {
    int port = TestBackend.closedPort("127.0.0.2");
    ProbeResult r =
        prober.probe(new ProbeTarget("127.0.0.2", port, Checks.http("/health", 1000, 1000)));
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("connection refused");
  }

  @Test
  void failsAtTheTimeoutWhenTheBackendHangs() {
    backend.answer(Answer.hanging());
    long start = System.nanoTime();
    ProbeResult r =
        prober.probe(
            new ProbeTarget(backend.address(), backend.port(), Checks.http("/health", 2000, 300)));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("timed out after 300 ms");
    assertThat(r.latencyMillis()).isBetween(290L, 1000L);
    assertThat(elapsedMs).isLessThan(1000L);
  }

  @Test
  void tcpProbePassesWhenThePortAccepts() throws Exception {
    try (ServerSocket listening = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.3"))) {
      ProbeResult r =
          prober.probe(
              new ProbeTarget("127.0.0.3", listening.getLocalPort(), Checks.tcp(1000, 500)));
      assertThat(r.success()).isTrue();
      assertThat(r.error()).isNull();
    }
  }

  @Test
  void tcpProbeFailsWhenThePortIsClosed() throws Exception {
    int port = TestBackend.closedPort("127.0.0.3");
    ProbeResult r = prober.probe(new ProbeTarget("127.0.0.3", port, Checks.tcp(1000, 500)));
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("connection refused");
  }

  @Test
  void reportsAnUnknownHost() {
    ProbeResult r =
        prober.probe(new ProbeTarget("no-such-host.invalid", 80, Checks.tcp(1000, 500)));
    assertThat(r.error()).isEqualTo("unknown host no-such-host.invalid");
  }

  @Test
  void bracketsIpv6LiteralsInTheUrl() {
    assertThat(Prober.url("::1", 8080, "/health").toString()).isEqualTo("http://[::1]:8080/health");
    assertThat(Prober.url("[fd00::2]", 8080, "/_health?full=1").toString())
        .isEqualTo("http://[fd00::2]:8080/_health?full=1");
    assertThat(Prober.url("127.0.0.2", 3000, "health").toString())
        .isEqualTo("http://127.0.0.2:3000/health");
  }

  @Test
  void probesAnIpv6LoopbackBackend() throws Exception {
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(
            new InetSocketAddress(InetAddress.getByName("::1"), 0), 8);
    server.createContext(
        "/health",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    try {
      ProbeResult r =
          prober.probe(
              new ProbeTarget(
                  "::1", server.getAddress().getPort(), Checks.http("/health", 1000, 1000)));
      assertThat(r.error()).isNull();
      assertThat(r.success()).isTrue();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void reusesOneDerivedClientPerTimeoutSharingTheDispatcherAndOneProbePool() {
    OkHttpClient a = prober.clientFor(Duration.ofMillis(1000), 3);
    assertThat(prober.clientFor(Duration.ofMillis(1000), 3)).isSameAs(a);
    OkHttpClient b = prober.clientFor(Duration.ofMillis(500), 3);
    assertThat(b).isNotSameAs(a);
    assertThat(a.dispatcher()).isSameAs(SHARED.dispatcher());
    // Probes pool their connections apart from the process's other HTTP traffic, spread over
    // several pools (an endpoint always in the same one) so that no pool grows large.
    assertThat(a.connectionPool()).isSameAs(b.connectionPool());
    assertThat(a.connectionPool()).isNotSameAs(SHARED.connectionPool());
    assertThat(prober.clientFor(Duration.ofMillis(1000), 4).connectionPool())
        .isNotSameAs(a.connectionPool());
    ProbeTarget t = new ProbeTarget("127.0.1.1", 8080, Checks.http("/", 1000, 1000));
    assertThat(Prober.poolOf(t))
        .isEqualTo(Prober.poolOf(new ProbeTarget("127.0.1.1", 8080, Checks.tcp(50, 50))))
        .isBetween(0, Prober.POOLS - 1);
    assertThat(
            java.util.stream.IntStream.range(0, 1000)
                .map(i -> Prober.poolOf(new ProbeTarget("127.0.1." + i % 10, 30000 + i, t.check())))
                .distinct()
                .count())
        .isEqualTo(Prober.POOLS);
    assertThat(a.followRedirects()).isFalse();
    assertThat(a.retryOnConnectionFailure()).isFalse();
    assertThat(a.callTimeoutMillis()).isEqualTo(1000);
    assertThat(b.connectTimeoutMillis()).isEqualTo(500);
    OkHttpClient fresh = prober.freshClientFor(Duration.ofMillis(1000));
    assertThat(fresh.dispatcher()).isSameAs(SHARED.dispatcher());
    assertThat(fresh.connectionPool()).isNotSameAs(a.connectionPool());
    assertThat(fresh.retryOnConnectionFailure()).isFalse();
  }

  @Test
  void reportsAnInvalidUrlAsAFailedProbe() {
    ProbeResult r =
        prober.probe(new ProbeTarget("bad host", 80, Checks.http("/health", 1000, 1000)));
    assertThat(r.success()).isFalse();
    assertThat(r.error()).startsWith("invalid probe URL http://bad host:80");
  }

  @Test
  void probesManyBackendsConcurrentlyFromVirtualThreads() throws Exception {
    backend.answer(Answer.ok("ok"));
    ProbeTarget target =
        new ProbeTarget(
            backend.address(),
            backend.port(),
            Checks.http("/health", 1000, 1000, 2, 2, "200", "ok"));
    Callable<ProbeResult> task = () -> prober.probe(target);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = pool.invokeAll(java.util.Collections.nCopies(50, task));
      for (var f : futures) {
        assertThat(f.get().success()).isTrue();
      }
    }
    assertThat(backend.requests("/health")).isEqualTo(50);
  }
}
