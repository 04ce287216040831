package fr.acecinema.switchboard.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec;
import fr.acecinema.switchboard.runtime.StatusPublisher.Outcome;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StandaloneRuntimeTest {
  private final ObjectMapper mapper = new ObjectMapper().findAndRegisterModules();
  private final ResourceStore store = new ResourceStore();
  private final Map<ResourceKey, ObjectNode> written = new ConcurrentHashMap<>();
  private final AtomicInteger writes = new AtomicInteger();
  private final StatusPublisher publisher =
      (key, generation, status) -> {
        writes.incrementAndGet();
        written.put(key, status);
        return Outcome.WRITTEN;
      };
  private StandaloneRuntime runtime =
      new StandaloneRuntime(
          store, publisher, new SimpleMeterRegistry(), mapper, 2, Duration.ofHours(1));

  @AfterEach
  void close() {
    runtime.close();
  }

  /** A reconciler whose behaviour each test sets. */
  static class Recording implements Reconciler<Backend>, Cleaner<Backend> {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> cleanups = new CopyOnWriteArrayList<>();
    volatile Function<Backend, UpdateControl<Backend>> behaviour;

    @Override
    public UpdateControl<Backend> reconcile(Backend b, Context<Backend> ctx) {
      calls.add(b.getMetadata().getName() + "@" + b.getMetadata().getGeneration());
      return behaviour.apply(b);
    }

    @Override
    public DeleteControl cleanup(Backend b, Context<Backend> ctx) {
      cleanups.add(b.getMetadata().getName());
      return DeleteControl.defaultDelete();
    }
  }

  static Backend backend(String name, long generation, String service) {
    Backend b = new Backend();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(generation).build());
    b.setSpec(new BackendSpec());
    b.getSpec().service = service;
    b.getSpec().site = "dijon";
    b.getSpec().address = "127.0.0.2";
    b.getSpec().port = 8080;
    return b;
  }

  static UpdateControl<Backend> markReady(Backend b) {
    BackendStatus s = new BackendStatus();
    s.observedGeneration = b.getMetadata().getGeneration();
    s.setCondition(
        new Condition("Ready", "True", "Serving", "ok"),
        b.getMetadata().getGeneration(),
        Instant.parse("2026-01-01T00:00:00Z"));
    b.setStatus(s);
    return UpdateControl.patchStatus(b);
  }

  @Test
  void reconcilesANewResourceAndPublishesItsStatus() {
    var r = new Recording();
    r.behaviour = StandaloneRuntimeTest::markReady;
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().until(() -> written.containsKey(new ResourceKey("Backend", "a")));
    assertThat(written.get(new ResourceKey("Backend", "a")).at("/conditions/0/reason").asText())
        .isEqualTo("Serving");
    assertThat(store.get(Backend.class, "Backend", "a").orElseThrow().getStatus()).isNotNull();
  }

  @Test
  void doesNotReconcileAgainWhenOnlyItsOwnStatusChanged() {
    var r = new Recording();
    r.behaviour = StandaloneRuntimeTest::markReady;
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().until(() -> writes.get() == 1 && runtime.idle());
    assertThat(r.calls).containsExactly("a@1");
  }

  @Test
  void skipsPublishingAnUnchangedStatus() {
    var r = new Recording();
    r.behaviour = StandaloneRuntimeTest::markReady;
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().until(() -> writes.get() == 1 && runtime.idle());
    runtime.resyncAll();
    await().until(() -> r.calls.size() == 2 && runtime.idle());
    assertThat(writes.get()).isEqualTo(1);
  }

  @Test
  void reconcilesTheNewGenerationAfterASpecChange() {
    var r = new Recording();
    r.behaviour = StandaloneRuntimeTest::markReady;
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().until(() -> r.calls.contains("a@1") && runtime.idle());
    store.put(backend("a", 2, "api"));
    await().until(() -> r.calls.contains("a@2"));
  }

  @Test
  void enqueuesWatchingPrimariesWhenASecondaryChanges() {
    var backends = new Recording();
    backends.behaviour = StandaloneRuntimeTest::markReady;
    List<String> serviceCalls = new CopyOnWriteArrayList<>();
    Reconciler<Service> services =
        (svc, ctx) -> {
          Set<Backend> mine = ctx.getSecondaryResources(Backend.class);
          serviceCalls.add(
              mine.stream()
                  .map(b -> b.getMetadata().getName() + ":" + (b.getStatus() != null))
                  .sorted()
                  .collect(Collectors.joining(",")));
          return UpdateControl.noUpdate();
        };
    store.addIndex("byService", "Backend", b -> List.of(((Backend) b).getSpec().service));
    runtime.register(new Controller<>("Backend", Backend.class, backends));
    runtime.register(
        new Controller<>("Service", Service.class, services)
            .secondary(
                Backend.class,
                (svc, s) ->
                    Set.copyOf(s.byIndex(Backend.class, "byService", svc.getMetadata().getName())))
            .watch(
                "Backend",
                (b, store) -> Set.of(new ResourceKey("Service", ((Backend) b).getSpec().service))));
    runtime.start();
    Service svc = new Service();
    svc.setMetadata(new ObjectMetaBuilder().withName("api").withGeneration(1L).build());
    svc.setSpec(new ServiceSpec());
    store.put(svc);
    store.put(backend("a", 1, "api"));
    // The backend's status change (written by its own reconcile) must reach the service too.
    await().until(() -> serviceCalls.contains("a:true"));
  }

  @Test
  void retriesAFailingReconcileWithBackoffUntilItSucceeds() {
    var r = new Recording();
    AtomicInteger attempts = new AtomicInteger();
    r.behaviour =
        b -> {
          if (attempts.incrementAndGet() < 3) {
            throw new IllegalStateException("boom");
          }
          return markReady(b);
        };
    runtime.register(
        new Controller<>("Backend", Backend.class, r)
            .retry(new GenericRetry().setInitialInterval(50).setIntervalMultiplier(2)));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> written.containsKey(new ResourceKey("Backend", "a")));
    assertThat(attempts.get()).isEqualTo(3);
  }

  @Test
  void honoursRescheduleAfter() {
    var r = new Recording();
    r.behaviour = b -> UpdateControl.<Backend>noUpdate().rescheduleAfter(Duration.ofMillis(100));
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().atMost(Duration.ofSeconds(5)).until(() -> r.calls.size() >= 3);
  }

  @Test
  void cleansUpARemovedResource() {
    var r = new Recording();
    r.behaviour = StandaloneRuntimeTest::markReady;
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    await().until(() -> runtime.idle() && r.calls.size() == 1);
    store.remove(new ResourceKey("Backend", "a"));
    await().until(() -> r.cleanups.contains("a"));
  }

  @Test
  void resyncReconcilesEveryResourcePeriodically() {
    runtime.close();
    runtime =
        new StandaloneRuntime(
            store, publisher, new SimpleMeterRegistry(), mapper, 2, Duration.ofMillis(100));
    var r = new Recording();
    r.behaviour = b -> UpdateControl.noUpdate();
    runtime.register(new Controller<>("Backend", Backend.class, r));
    store.put(backend("a", 1, "api"));
    runtime.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> r.calls.size() >= 3);
  }

  @Test
  void neverRunsTwoReconcilesOfOneKeyAtOnceAndCoalescesWhatArrivesMeanwhile() throws Exception {
    var r = new Recording();
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    Map<String, Integer> maxInFlight = new ConcurrentHashMap<>();
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reconcilesOfA = new AtomicInteger();
    r.behaviour =
        b -> {
          String name = b.getMetadata().getName();
          int now = inFlight.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
          maxInFlight.merge(name, now, Math::max);
          try {
            // The first reconcile of a holds its worker until the test has enqueued a many times.
            if (name.equals("a") && reconcilesOfA.incrementAndGet() == 1) {
              firstStarted.countDown();
              release.await();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            inFlight.get(name).decrementAndGet();
          }
          return UpdateControl.noUpdate();
        };
    runtime.register(new Controller<>("Backend", Backend.class, r));
    runtime.start();
    store.put(backend("a", 1, "api"));
    try {
      assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 200; i++) {
        runtime.enqueue(new ResourceKey("Backend", "a"));
      }
      // The other worker is free: it reconciles b, and would have taken a (queued first) had the
      // queue handed out a key being processed.
      store.put(backend("b", 1, "api"));
      await().until(() -> r.calls.contains("b@1"));
      assertThat(maxInFlight.get("a")).isEqualTo(1);
    } finally {
      release.countDown();
    }
    await().until(runtime::idle);

    assertThat(maxInFlight.get("a")).isEqualTo(1);
    assertThat(reconcilesOfA.get())
        .as("200 enqueues during one reconcile coalesce into one more")
        .isEqualTo(2);
  }
}
