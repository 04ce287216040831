package fr.acecinema.switchboard.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.runtime.StatusPublisher.Outcome;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives JOSDK reconcilers without a Kubernetes API server. Store changes only enqueue keys; a
 * bounded pool of workers takes keys from a de-duplicating queue (one reconcile per key at a time),
 * hands the reconciler a private copy of the stored resource, publishes the status it returns,
 * honours {@code rescheduleAfter}, retries exceptions with JOSDK's {@code GenericRetry}, and
 * re-enqueues everything every resync period as a safety net.
 */
public final class StandaloneRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandaloneRuntime.class);

  private record Published(long generation, ObjectNode status) {}

  private final String name;
  private final String metrics;
  private final ResourceStore store;
  private final StatusPublisher publisher;
  private final MeterRegistry meters;
  private final ObjectMapper mapper;
  private final int workers;
  private final Duration resync;
  private final Map<String, Controller<?>> controllers = new ConcurrentHashMap<>();
  private final WorkQueue<ResourceKey> queue = new WorkQueue<>();
  private final Map<ResourceKey, HasMetadata> tombstones = new ConcurrentHashMap<>();
  private final Map<ResourceKey, RetryExecution> retries = new ConcurrentHashMap<>();
  private final Map<ResourceKey, Published> published = new ConcurrentHashMap<>();
  private final Map<ResourceKey, HasMetadata> singletons = new ConcurrentHashMap<>();

  /** Longest wait between two attempts to write a status that keeps failing. */
  static final Duration MAX_STATUS_RETRY = Duration.ofMinutes(1);

  private final Map<ResourceKey, Integer> statusWriteFailures = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final ScheduledExecutorService resyncTimer;
  private volatile boolean running;

  /** The control plane's runtime: threads {@code reconcile-N}, meters {@code switchboard.*}. */
  public StandaloneRuntime(
      ResourceStore store,
      StatusPublisher publisher,
      MeterRegistry meters,
      ObjectMapper mapper,
      int workers,
      Duration resync) {
    this("reconcile", "switchboard", store, publisher, meters, mapper, workers, resync);
  }

  /**
   * A runtime instance of its own, so that a slow dependency (the database) never holds the workers
   * of another (the routing path): same queue, retry and resync rules, own threads.
   *
   * @param name prefix of its thread names ({@code name-N}, {@code name-resync})
   * @param metrics prefix of its meter names ({@code metrics.queue.depth}, {@code
   *     metrics.reconcile}…), so two instances never share a series
   */
  public StandaloneRuntime(
      String name,
      String metrics,
      ResourceStore store,
      StatusPublisher publisher,
      MeterRegistry meters,
      ObjectMapper mapper,
      int workers,
      Duration resync) {
    this.name = name;
    this.metrics = metrics;
    this.resyncTimer =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name(name + "-resync").factory());
    this.store = store;
    this.publisher = publisher;
    this.meters = meters;
    this.mapper = mapper;
    this.workers = workers;
    this.resync = resync;
    Gauge.builder(metrics + ".queue.depth", queue, WorkQueue::depth)
        .description("Resources waiting in the reconcile queue (due now or scheduled later)")
        .register(meters);
    store.addListener(this::onStoreChange);
  }

  public <R extends HasMetadata> StandaloneRuntime register(Controller<R> controller) {
    controllers.put(controller.kind(), controller);
    retriesCounter(controller.kind()); // served at 0 from the start: rate() has a series to read
    return this;
  }

  /**
   * Registers a controller whose one primary lives outside the store ({@code instance}: a task such
   * as a sweep of the database, reconciled at every resync and whenever it is enqueued).
   */
  public <R extends HasMetadata> StandaloneRuntime registerSingleton(
      Controller<R> controller, R instance) {
    singletons.put(ResourceKey.of(instance), instance);
    return register(controller);
  }

  private Counter retriesCounter(String kind) {
    return Counter.builder(metrics + ".reconcile.retries")
        .description(
            "Failed reconciles of resources of this kind (retried with backoff until the retry"
                + " policy gives up)")
        .tag("kind", kind)
        .register(meters);
  }

  private Counter statusWrites(String kind, String outcome) {
    return Counter.builder(metrics + ".status.writes")
        .description(
            "Statuses handed to the source (manifest file or resources table), by kind and outcome:"
                + " WRITTEN, UNCHANGED, STALE (the resource changed meanwhile) or ERROR")
        .tags("kind", kind, "outcome", outcome)
        .register(meters);
  }

  /** Starts the workers and the resync timer, and enqueues every stored resource. */
  public synchronized void start() {
    running = true;
    for (int i = 0; i < workers; i++) {
      threads.add(Thread.ofVirtual().name(name + "-" + i).start(this::work));
    }
    resyncTimer.scheduleAtFixedRate(
        this::resyncAll, resync.toMillis(), resync.toMillis(), TimeUnit.MILLISECONDS);
    resyncAll();
  }

  /** Enqueues every known key: the periodic safety net of a level-triggered system. */
  public void resyncAll() {
    for (ResourceKey key : store.keys()) {
      if (controllers.containsKey(key.kind())) {
        queue.add(key);
      }
    }
    tombstones.keySet().forEach(queue::add);
    singletons.keySet().forEach(queue::add);
  }

  public void enqueue(ResourceKey key) {
    queue.add(key);
  }

  /**
   * {@code key} is known elsewhere (a database row) but not in the store: its controller's cleanup
   * runs as if it had just been removed, under the same one-at-a-time rule as its reconciles (a
   * resource added meanwhile is reconciled instead).
   */
  public void enqueueDeletion(ResourceKey key) {
    Controller<?> controller = controllers.get(key.kind());
    if (controller == null || store.get(key).isPresent()) {
      return;
    }
    HasMetadata gone =
        mapper.convertValue(
            Map.of("kind", key.kind(), "metadata", Map.of("name", key.name())), controller.type());
    tombstones.putIfAbsent(key, gone);
    queue.add(key);
  }

  /**
   * A status handed to the publisher could not be written after all: forget that it was, so the
   * next reconcile (soon, with backoff left to the writer's failure) publishes it again.
   */
  public void statusWriteFailed(ResourceKey key) {
    published.remove(key);
    // 1 s, 2 s, 4 s … up to a minute: a file that cannot be written (immutable, read-only) is
    // retried without spinning; an edit of the resource starts again from 1 s.
    int failures = statusWriteFailures.merge(key, 1, Integer::sum);
    queue.addAfter(key, statusRetryDelay(failures));
  }

  /** The delay before the {@code failures}-th consecutive retry of a status write. */
  static Duration statusRetryDelay(int failures) {
    long seconds = 1L << Math.min(6, Math.max(0, failures - 1));
    return Duration.ofSeconds(Math.min(seconds, MAX_STATUS_RETRY.toSeconds()));
  }

  /**
   * The status of {@code key} must be handed to the publisher again although it did not change (the
   * publisher decorates it differently now: a declaration became contested or stopped being).
   */
  public void republish(ResourceKey key) {
    published.remove(key);
    queue.add(key);
  }

  /**
   * True when nothing waits, nothing is being reconciled and no reschedule or retry is still to
   * come (tests and benchmarks). Never true while a reconciler requeues itself periodically (the
   * router's drift check): see {@link #idle(Duration)}.
   */
  public boolean idle() {
    return queue.idle();
  }

  /**
   * True when nothing waits, nothing is being reconciled and no reschedule or retry is due within
   * {@code horizon}: settled, but for periodic requeues longer than {@code horizon}.
   */
  public boolean idle(Duration horizon) {
    return queue.idle(horizon);
  }

  private void onStoreChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (controllers.containsKey(key.kind())) {
      if (current == null) {
        tombstones.put(key, previous);
        published.remove(key);
        queue.add(key);
      } else if (Controller.specChanged(previous, current)) {
        tombstones.remove(key);
        statusWriteFailures.remove(key);
        queue.add(key);
      }
    }
    for (Controller<?> c : controllers.values()) {
      c.enqueuedBy(previous, current, store).forEach(queue::add);
    }
  }

  private void work() {
    while (running) {
      ResourceKey key;
      try {
        key = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (key == null) {
        return;
      }
      try {
        process(key);
      } catch (RuntimeException e) {
        log.error("unexpected failure processing {}", key, e);
      } finally {
        queue.done(key);
      }
    }
  }

  private void process(ResourceKey key) {
    Controller<?> controller = controllers.get(key.kind());
    if (controller == null) {
      return;
    }
    Optional<HasMetadata> current =
        Optional.ofNullable(singletons.get(key)).or(() -> store.get(key));
    if (current.isPresent()) {
      tombstones.remove(key); // a deletion handed in (below) that the store has since re-added
      reconcile(controller, key, current.get());
    } else {
      HasMetadata gone = tombstones.remove(key);
      if (gone != null) {
        cleanup(controller, key, gone);
      }
    }
  }

  private <R extends HasMetadata> void reconcile(
      Controller<R> controller, ResourceKey key, HasMetadata stored) {
    R resource = copy(controller.type(), stored);
    RetryExecution retry = retries.get(key);
    var context = new StandaloneContext<>(resource, controller, store, retry, false);
    Timer.Sample sample = Timer.start(meters);
    String result = "success";
    try {
      UpdateControl<R> control = controller.reconciler().reconcile(resource, context);
      retries.remove(key);
      if (control.isPatchResource() || control.isPatchResourceAndStatus()) {
        log.warn("{}: the standalone runtime never rewrites a user's spec; patch ignored", key);
      }
      if (control.isPatchStatus() || control.isPatchResourceAndStatus()) {
        publish(key, control.getResource().orElse(resource));
      }
      control.getScheduleDelay().ifPresent(ms -> queue.addAfter(key, Duration.ofMillis(ms)));
    } catch (Exception e) {
      result = "error";
      onError(controller, key, resource, context, e);
    } finally {
      sample.stop(
          Timer.builder(metrics + ".reconcile")
              .description("Duration of one reconcile of a resource, by kind and result")
              .tags("kind", key.kind(), "result", result)
              .register(meters));
    }
  }

  private <R extends HasMetadata> void onError(
      Controller<R> controller,
      ResourceKey key,
      R resource,
      StandaloneContext<R> context,
      Exception e) {
    RetryExecution retry =
        retries.computeIfAbsent(key, k -> controller.retryPolicy().initExecution());
    Optional<Long> delay = retry.nextDelay();
    retriesCounter(key.kind()).increment();
    if (delay.isPresent()) {
      log.warn(
          "reconcile of {} failed (attempt {}), retrying in {} ms: {}",
          key,
          retry.getAttemptCount(),
          delay.get(),
          e.toString());
      queue.addAfter(key, Duration.ofMillis(delay.get()));
    } else {
      log.error("reconcile of {} failed, retries exhausted until the next change", key, e);
      retries.remove(key);
    }
    try {
      ErrorStatusUpdateControl<R> errorControl =
          controller.reconciler().updateErrorStatus(resource, context, e);
      if (errorControl.getResource().isPresent()) {
        publish(key, errorControl.getResource().get());
      }
    } catch (Exception inner) {
      log.warn("updateErrorStatus of {} failed: {}", key, inner.toString());
    }
  }

  private <R extends HasMetadata> void cleanup(
      Controller<R> controller, ResourceKey key, HasMetadata gone) {
    if (controller.cleaner() == null) {
      return;
    }
    R resource = copy(controller.type(), gone);
    var context = new StandaloneContext<>(resource, controller, store, retries.get(key), true);
    try {
      DeleteControl control = controller.cleaner().cleanup(resource, context);
      retries.remove(key);
      if (!control.isRemoveFinalizer()) {
        tombstones.putIfAbsent(key, gone);
        control.getScheduleDelay().ifPresent(ms -> queue.addAfter(key, Duration.ofMillis(ms)));
      }
    } catch (Exception e) {
      tombstones.putIfAbsent(key, gone);
      RetryExecution retry =
          retries.computeIfAbsent(key, k -> controller.retryPolicy().initExecution());
      retry.nextDelay().ifPresent(ms -> queue.addAfter(key, Duration.ofMillis(ms)));
      log.warn("cleanup of {} failed: {}", key, e.toString());
    }
  }

  private void publish(ResourceKey key, HasMetadata resource) {
    Long generation = Controller.generation(resource);
    if (generation == null || !(resource instanceof CustomResource<?, ?> cr)) {
      return;
    }
    ObjectNode status = mapper.valueToTree(cr.getStatus());
    store
        .get(key)
        .filter(s -> !status.equals(statusOf(s)))
        .ifPresent(s -> store.updateStatus(key, generation, resource));
    Published last = published.get(key);
    if (last != null && last.generation() == generation && last.status().equals(status)) {
      return;
    }
    try {
      Outcome outcome = publisher.publish(key, generation, status);
      statusWrites(key.kind(), outcome.name()).increment();
      if (outcome != Outcome.STALE) {
        published.put(key, new Published(generation, status));
      }
    } catch (Exception e) {
      statusWrites(key.kind(), "ERROR").increment();
      log.warn("writing status of {} failed, will retry: {}", key, e.toString());
      queue.addAfter(key, Duration.ofSeconds(1));
    }
  }

  private ObjectNode statusOf(HasMetadata r) {
    return r instanceof CustomResource<?, ?> cr ? mapper.valueToTree(cr.getStatus()) : null;
  }

  private <R> R copy(Class<R> type, HasMetadata source) {
    return mapper.convertValue(source, type);
  }

  @Override
  public void close() {
    running = false;
    resyncTimer.shutdownNow();
    queue.close();
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
