package fr.acecinema.switchboard.probe;

import static fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State.Healthy;
import static fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State.Unhealthy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.probe.TestBackend.Answer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProbeSchedulerTest {
  private static final OkHttpClient SHARED = new OkHttpClient();
  private static final ResourceKey KEY = new ResourceKey("Backend", "strapi-dijon");
  private static final ResourceKey OTHER = new ResourceKey("Backend", "strapi-lyon");

  /** One listener call. */
  record Event(ResourceKey key, HealthSnapshot snapshot, boolean changed) {}

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ProbeScheduler scheduler;
  private TestBackend backend;

  @BeforeEach
  void start() throws Exception {
    backend = TestBackend.start("127.0.0.2");
    scheduler =
        new ProbeScheduler(
            new Prober(SHARED), (k, s, c) -> events.add(new Event(k, s, c)), registry);
  }

  @AfterEach
  void stop() {
    scheduler.close();
    backend.close();
  }

  @AfterAll
  static void closeClient() {
    SHARED.dispatcher().executorService().shutdown();
    SHARED.connectionPool().evictAll();
  }

  private ProbeTarget target(String path, long intervalMs, int healthy, int unhealthy) {
    return new ProbeTarget(
        backend.address(),
        backend.port(),
        Checks.http(path, intervalMs, 1000, healthy, unhealthy, "200-399", null));
  }

  private List<Event> eventsOf(ResourceKey key) {
    return events.stream().filter(e -> e.key().equals(key)).toList();
  }

  @Test
  void reportsAHealthyBackendAfterItsFirstProbe() {
    scheduler.ensure(KEY, target("/health", 100, 3, 3));
    await().atMost(Duration.ofSeconds(5)).until(() -> !eventsOf(KEY).isEmpty());
    Event first = eventsOf(KEY).getFirst();
    assertThat(first.snapshot().state()).isEqualTo(Healthy);
    assertThat(first.changed()).isTrue();
    assertThat(first.snapshot().latencyMillis()).isNotNull();
    HealthSnapshot now = scheduler.snapshot(KEY).orElseThrow();
    assertThat(now.lastProbeTime()).isNotNull();
    assertThat(now.lastTransitionTime()).isNotNull();
  }

  @Test
  void followsAFlippingBackendWithHysteresis() {
    scheduler.ensure(KEY, target("/health", 50, 2, 3));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);

    int mark = eventsOf(KEY).size();
    backend.answer(Answer.status(503));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Unhealthy);
    List<Event> all = eventsOf(KEY);
    List<Event> down = all.subList(mark, all.size());
    Event flip = down.stream().filter(Event::changed).findFirst().orElseThrow();
    assertThat(flip.snapshot().consecutiveFailures()).isEqualTo(3);
    assertThat(flip.snapshot().lastError()).isEqualTo("HTTP 503, expected 200-399");
    // The failures before the third one left the backend Healthy.
    assertThat(
            down.stream()
                .filter(e -> e.snapshot().consecutiveFailures() > 0)
                .filter(e -> e.snapshot().consecutiveFailures() < 3)
                .map(e -> e.snapshot().state()))
        .isNotEmpty()
        .containsOnly(Healthy);

    mark = eventsOf(KEY).size();
    backend.answer(Answer.ok("ok"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);
    all = eventsOf(KEY);
    List<Event> up = all.subList(mark, all.size());
    Event back = up.stream().filter(Event::changed).findFirst().orElseThrow();
    assertThat(back.snapshot().consecutiveSuccesses()).isEqualTo(2);
    assertThat(back.snapshot().lastError()).isNull();
    assertThat(up.stream().filter(Event::changed)).hasSize(1);
  }

  @Test
  void aDeadHostFreezesHealthAndProbeNowProbesEveryTenthOfASecondUntilHealthyAgain() {
    java.util.concurrent.atomic.AtomicBoolean dead =
        new java.util.concurrent.atomic.AtomicBoolean();
    scheduler.freezeWhile(host -> dead.get());
    // A 5 s interval: anything faster than that below is the kick's doing.
    scheduler.ensure(KEY, target("/health", 5000, 2, 2));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);
    dead.set(true);
    backend.answer(Answer.status(503));
    scheduler.probeNow(backend.address());
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().consecutiveFailures() == 0);

    dead.set(false);
    long kicked = System.nanoTime();
    scheduler.probeNow(backend.address());
    await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Unhealthy);
    backend.answer(Answer.ok("ok"));
    await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);
    long tookMs = (System.nanoTime() - kicked) / 1_000_000;
    // Four probes (two failures, two successes) at the fast cadence, not four 5 s intervals.
    assertThat(tookMs).isLessThan(3000);
  }

  @Test
  void ensureWithTheSameTargetIsANoOp() {
    ProbeTarget t = target("/health", 100, 2, 2);
    assertThat(scheduler.ensure(KEY, t)).isTrue();
    for (int i = 0; i < 100; i++) {
      assertThat(scheduler.ensure(KEY, target("/health", 100, 2, 2))).isFalse();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests("/health") >= 3);
    assertThat(scheduler.keys()).containsExactly(KEY);
  }

  @Test
  void ensureWithAChangedTargetRestartsTheLoop() {
    scheduler.ensure(KEY, target("/a", 50, 2, 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests("/a") >= 2);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);

    assertThat(scheduler.ensure(KEY, target("/b", 50, 2, 2))).isTrue();
    int aAfterChange = backend.requests("/a");
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests("/b") >= 3);
    // At most one probe of /a was in flight when the target changed.
    assertThat(backend.requests("/a")).isLessThanOrEqualTo(aAfterChange + 1);
    // Same endpoint: the health carried over instead of going back to Unknown.
    assertThat(
            eventsOf(KEY).stream().filter(Event::changed).map(e -> e.snapshot().state()).toList())
        .containsExactly(Healthy);
  }

  @Test
  void aNewEndpointStartsFromUnknown() throws Exception {
    try (TestBackend down = TestBackend.start("127.0.0.3")) {
      scheduler.ensure(KEY, target("/health", 50, 5, 5));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Healthy);
      down.answer(Answer.status(500));
      scheduler.ensure(
          KEY,
          new ProbeTarget(
              down.address(), down.port(), Checks.http("/health", 50, 1000, 5, 5, "200", null)));
      assertThat(scheduler.snapshot(KEY).orElseThrow().state())
          .isEqualTo(HealthSnapshot.unknown().state());
      // First result decides although unhealthyThreshold is 5.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> scheduler.snapshot(KEY).orElseThrow().state() == Unhealthy);
      assertThat(scheduler.snapshot(KEY).orElseThrow().consecutiveFailures()).isLessThan(5);
    }
  }

  @Test
  void removeStopsProbing() {
    scheduler.ensure(KEY, target("/health", 50, 2, 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests("/health") >= 3);
    assertThat(scheduler.remove(KEY)).isTrue();
    int atRemoval = backend.requests("/health");
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> backend.requests("/health") <= atRemoval + 1);
    assertThat(scheduler.snapshot(KEY)).isEmpty();
    assertThat(scheduler.keys()).isEmpty();
    assertThat(scheduler.remove(KEY)).isFalse();
    assertThat(registry.find(ProbeScheduler.LATENCY_METRIC).timers()).isEmpty();
  }

  @Test
  void aHangingBackendDoesNotDelayOthers() throws Exception {
    try (TestBackend slow = TestBackend.start("127.0.0.3")) {
      slow.answer(Answer.hanging());
      scheduler.ensure(
          OTHER,
          new ProbeTarget(
              slow.address(), slow.port(), Checks.http("/health", 100, 1500, 2, 2, "200", null)));
      scheduler.ensure(KEY, target("/health", 50, 2, 2));
      await().atMost(Duration.ofSeconds(5)).until(() -> slow.requests() >= 1);
      int start = backend.requests("/health");
      // While the slow probe hangs for 1.5 s, the fast backend keeps its 50 ms cadence.
      await().atMost(Duration.ofSeconds(1)).until(() -> backend.requests("/health") >= start + 5);
      assertThat(eventsOf(OTHER)).isEmpty();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> scheduler.snapshot(OTHER).orElseThrow().state() == Unhealthy);
      HealthSnapshot s = scheduler.snapshot(OTHER).orElseThrow();
      assertThat(s.lastError()).isEqualTo("timed out after 1500 ms");
      assertThat(s.latencyMillis()).isBetween(1400L, 2500L);
      // Probes of one backend never overlap: one hanging request at a time.
      assertThat(slow.requests()).isLessThanOrEqualTo(eventsOf(OTHER).size() + 1);
    }
  }

  @Test
  void probesTcpBackends() throws Exception {
    int closed = TestBackend.closedPort("127.0.0.3");
    scheduler.ensure(KEY, new ProbeTarget(backend.address(), backend.port(), Checks.tcp(50, 500)));
    scheduler.ensure(OTHER, new ProbeTarget("127.0.0.3", closed, Checks.tcp(50, 500)));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                scheduler.snapshot(KEY).orElseThrow().state() == Healthy
                    && scheduler.snapshot(OTHER).orElseThrow().state() == Unhealthy);
    assertThat(scheduler.snapshot(OTHER).orElseThrow().lastError()).isEqualTo("connection refused");
  }

  @Test
  void recordsLatencyPerBackendAndResult() {
    scheduler.ensure(KEY, target("/health", 50, 2, 2));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              Timer t =
                  registry
                      .find(ProbeScheduler.LATENCY_METRIC)
                      .tags("backend", "strapi-dijon", "result", "success")
                      .timer();
              return t != null && t.count() >= 2;
            });
    backend.answer(Answer.status(500));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                registry
                        .find(ProbeScheduler.LATENCY_METRIC)
                        .tags("backend", "strapi-dijon", "result", "failure")
                        .timer()
                        .count()
                    >= 1);
  }

  @Test
  void aFailingListenerDoesNotStopTheLoop() {
    try (ProbeScheduler failing =
        new ProbeScheduler(
            new Prober(SHARED),
            (k, s, c) -> {
              throw new IllegalStateException("listener bug");
            })) {
      failing.ensure(KEY, target("/health", 50, 2, 2));
      await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests("/health") >= 3);
      assertThat(failing.snapshot(KEY).orElseThrow().consecutiveSuccesses()).isGreaterThan(1);
    }
  }

  @Test
  void closeStopsEveryLoopAndRefusesNewOnes() throws Exception {
    try (TestBackend second = TestBackend.start("127.0.0.3")) {
      scheduler.ensure(KEY, target("/health", 50, 2, 2));
      scheduler.ensure(
          OTHER,
          new ProbeTarget(second.address(), second.port(), Checks.http("/health", 50, 1000)));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> backend.requests() >= 2 && second.requests() >= 2);
      scheduler.close();
      int a = backend.requests();
      int b = second.requests();
      await()
          .during(Duration.ofMillis(400))
          .atMost(Duration.ofSeconds(2))
          .until(() -> backend.requests() == a && second.requests() == b);
      assertThat(scheduler.keys()).isEmpty();
      assertThatThrownBy(() -> scheduler.ensure(KEY, target("/health", 50, 2, 2)))
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
