package fr.acecinema.switchboard.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.reconciler.Indexes;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Drives one reconciler as the standalone runtime does, one call at a time and without threads (the
 * counterpart of sample-controller's fake informers and Flink's {@code TestingFlinkService}): the
 * reconciler's own {@link Controller} (its declared secondaries and watches) over a real in-memory
 * {@link ResourceStore} with the production indexes. Each reconcile gets a private copy of the
 * stored resource and the Context the runtime would build; a patched status is stored back as the
 * runtime stores it, so the next reconcile (of this or another kind) reads it.
 */
public final class ReconcilerHarness<R extends HasMetadata> {
  // The runtime's own mapper: the copy a reconciler gets is the one it gets in production.
  private static final ObjectMapper MAPPER = Switchboard.mapper();

  private final Controller<R> controller;
  private final ResourceStore store;

  /** What one reconcile returned. */
  public record Reconciled<R extends HasMetadata>(
      R resource, boolean statusPatched, Optional<Duration> rescheduleAfter) {

    /** The condition of {@code type} in the returned status; fails when there is none. */
    public Condition condition(String type) {
      return conditionOf(type).orElseThrow(() -> new AssertionError("no " + type + " condition"));
    }

    /** The condition of {@code type}, empty when the status has none. */
    public Optional<Condition> conditionOf(String type) {
      return status().flatMap(s -> s.condition(type));
    }

    /** {@code status/reason} of the condition of {@code type}, e.g. {@code False/Draining}. */
    public String state(String type) {
      Condition c = condition(type);
      return c.status + "/" + c.reason;
    }

    private Optional<ResourceStatus> status() {
      return resource instanceof CustomResource<?, ?> cr
              && cr.getStatus() instanceof ResourceStatus s
          ? Optional.of(s)
          : Optional.empty();
    }
  }

  /** What one cleanup returned. */
  public record Cleaned(boolean tombstoneRemoved, Optional<Duration> rescheduleAfter) {}

  public ReconcilerHarness(Controller<R> controller, ResourceStore store) {
    this.controller = controller;
    this.store = store;
  }

  /** A harness over a new store that has the production indexes. */
  public static <R extends HasMetadata> ReconcilerHarness<R> of(Controller<R> controller) {
    return new ReconcilerHarness<>(controller, indexedStore());
  }

  /** An empty store with the indexes the reconcilers read through. */
  public static ResourceStore indexedStore() {
    ResourceStore store = new ResourceStore();
    Indexes.register(store);
    return store;
  }

  public ResourceStore store() {
    return store;
  }

  /** Puts resources in the store (a source's write). */
  public ReconcilerHarness<R> put(HasMetadata... resources) {
    for (HasMetadata r : resources) {
      store.put(r);
    }
    return this;
  }

  /** The stored primary named {@code name}. */
  public R stored(String name) {
    return store
        .get(controller.type(), controller.kind(), name)
        .orElseThrow(() -> new AssertionError("no " + controller.kind() + "/" + name + " stored"));
  }

  /** Reconciles the stored primary named {@code name}. */
  public Reconciled<R> reconcile(String name) {
    return reconcile(stored(name));
  }

  /**
   * Reconciles (a copy of) {@code primary}, e.g. a synthetic key that lives outside the store, and
   * stores a patched status when the primary is stored with that generation.
   */
  public Reconciled<R> reconcile(R primary) {
    R copy = privateCopy(primary);
    UpdateControl<R> control;
    try {
      control = controller.reconciler().reconcile(copy, controller.context(copy, store, false));
    } catch (Exception e) {
      throw new AssertionError("reconcile of " + ResourceKey.of(primary) + " threw", e);
    }
    boolean patched = control.isPatchStatus() || control.isPatchResourceAndStatus();
    R result = control.getResource().orElse(copy);
    Long generation = result.getMetadata().getGeneration();
    if (patched && generation != null) {
      store.updateStatus(ResourceKey.of(result), generation, result);
    }
    return new Reconciled<>(result, patched, control.getScheduleDelay().map(Duration::ofMillis));
  }

  /** Removes the primary named {@code name} from the store and runs its cleanup. */
  public Cleaned remove(String name) {
    R gone = stored(name);
    store.remove(ResourceKey.of(gone));
    return cleanup(gone);
  }

  /** Runs the cleanup of (a copy of) {@code gone}, as for a removed resource. */
  public Cleaned cleanup(R gone) {
    R copy = privateCopy(gone);
    DeleteControl control;
    try {
      control = controller.cleaner().cleanup(copy, controller.context(copy, store, true));
    } catch (Exception e) {
      throw new AssertionError("cleanup of " + ResourceKey.of(gone) + " threw", e);
    }
    return new Cleaned(
        control.isRemoveFinalizer(), control.getScheduleDelay().map(Duration::ofMillis));
  }

  /**
   * The primaries the controller's watches enqueue when a resource of another kind goes from {@code
   * previous} to {@code current} (null for an add or a removal): what the runtime enqueues.
   */
  public Set<ResourceKey> enqueuedBy(HasMetadata previous, HasMetadata current) {
    return controller.enqueuedBy(previous, current, store);
  }

  /** A private deep copy, as the runtime hands out (and as a test edits a resource). */
  public static <T extends HasMetadata> T copy(T resource) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) resource.getClass();
    return MAPPER.convertValue(resource, type);
  }

  private R privateCopy(R resource) {
    return MAPPER.convertValue(resource, controller.type());
  }
}
