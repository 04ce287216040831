package fr.acecinema.switchboard.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.probe.KeepAliveBackend.Mode;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Probes keep their connection alive, and a connection the backend dropped never fails one. */
class ProberConnectionReuseTest {
  private static final OkHttpClient SHARED = new OkHttpClient();
  private final Prober prober = new Prober(SHARED);
  private KeepAliveBackend backend;
  private Prober.Prepared prepared;

  @BeforeEach
  void start() throws Exception {
    backend = KeepAliveBackend.start("127.0.0.4");
    // Interval 1 s (< keep-alive), timeout 300 ms.
    prepared =
        prober.prepare(
            new ProbeTarget(
                backend.address(),
                backend.port(),
                Checks.http("/health", 1000, 300, 2, 2, "200", "ok")));
  }

  @AfterEach
  void stop() throws Exception {
    backend.close();
    prober.evictIdleConnections();
  }

  @AfterAll
  static void closeClient() {
    SHARED.dispatcher().executorService().shutdown();
    SHARED.connectionPool().evictAll();
  }

  /** Two probes on one kept-alive connection, which the backend then closes while idle. */
  private void probeTwiceThenCloseIdleConnection() throws Exception {
    assertThat(prober.probe(prepared).error()).isNull();
    assertThat(prober.probe(prepared).error()).isNull();
    assertThat(backend.connections()).isEqualTo(1);
    assertThat(backend.answered()).isEqualTo(2);
    backend.closeIdleConnections();
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0);
  }

  @Test
  void reusesOneConnectionForSuccessiveProbes() {
    for (int i = 0; i < 5; i++) {
      assertThat(prober.probe(prepared).success()).isTrue();
    }
    assertThat(backend.answered()).isEqualTo(5);
    assertThat(backend.connections()).isEqualTo(1);
    assertThat(prober.pooledConnections()).isEqualTo(1);
  }

  @Test
  void aPooledConnectionTheBackendClosedDoesNotFailTheNextProbe() throws Exception {
    probeTwiceThenCloseIdleConnection();

    ProbeResult r = prober.probe(prepared);

    assertThat(r.error()).isNull();
    assertThat(r.success()).isTrue();
    assertThat(r.latencyMillis()).isLessThan(300L);
    // Retried on a second connection; the one after goes back to keep-alive.
    assertThat(backend.connections()).isEqualTo(2);
    assertThat(backend.answered()).isEqualTo(3);
    assertThat(prober.probe(prepared).success()).isTrue();
    assertThat(prober.probe(prepared).success()).isTrue();
    assertThat(backend.connections()).isEqualTo(3);
    assertThat(backend.answered()).isEqualTo(5);
  }

  @Test
  void aBackendThatDropsEveryRequestFailsWithOneRetryAtMost() throws Exception {
    assertThat(prober.probe(prepared).success()).isTrue();
    backend.mode(Mode.DROP);

    // On the pooled connection, then once on a fresh one: two requests, and a failure.
    ProbeResult onPooled = prober.probe(prepared);
    assertThat(onPooled.success()).isFalse();
    assertThat(onPooled.error()).contains("connection closed without an answer");
    assertThat(backend.dropped()).isEqualTo(2);

    // Nothing pooled any more: one fresh connection, no retry.
    ProbeResult onFresh = prober.probe(prepared);
    assertThat(onFresh.success()).isFalse();
    assertThat(backend.dropped()).isEqualTo(3);
  }

  @Test
  void aBackendThatStoppedListeningIsReportedRefused() throws Exception {
    probeTwiceThenCloseIdleConnection();
    backend.stopListening();

    ProbeResult r = prober.probe(prepared);

    assertThat(r.error()).isEqualTo("connection refused");
    assertThat(r.success()).isFalse();
    assertThat(backend.answered()).isEqualTo(2);
  }

  @Test
  void aBackendHangingOnAPooledConnectionFailsAtTheTimeoutWithoutRetry() {
    assertThat(prober.probe(prepared).success()).isTrue();
    backend.mode(Mode.HANG);
    long start = System.nanoTime();

    ProbeResult r = prober.probe(prepared);

    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo("timed out after 300 ms");
    assertThat(elapsedMs).isBetween(290L, 1000L);
    assertThat(backend.hung()).isEqualTo(1);
    assertThat(backend.connections()).isEqualTo(1);
  }

  @Test
  void opensAFreshConnectionEveryFewProbes() {
    for (int i = 0; i < Prober.FRESH_CONNECTION_EVERY + 1; i++) {
      assertThat(prober.probe(prepared).success()).isTrue();
    }
    // The FRESH_CONNECTION_EVERY-th probe asked to close; the next one connected anew.
    assertThat(backend.connections()).isEqualTo(2);
  }

  @Test
  void slowChecksCloseTheirConnectionAfterEachProbe() {
    Prober.Prepared slow =
        prober.prepare(
            new ProbeTarget(
                backend.address(),
                backend.port(),
                Checks.http("/health", Prober.KEEP_ALIVE.toMillis(), 300)));
    for (int i = 0; i < 3; i++) {
      assertThat(prober.probe(slow).success()).isTrue();
    }
    assertThat(backend.connections()).isEqualTo(3);
    assertThat(prober.pooledConnections()).isZero();
  }
}
