package fr.acecinema.switchboard.runtime;

import fr.acecinema.switchboard.api.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * How the standalone runtime drives one JOSDK {@link Reconciler}: its kind, the secondary resources
 * its Context can look up, and which changes of other kinds enqueue which primaries (the standalone
 * counterpart of JOSDK's secondary-to-primary mappers).
 */
public final class Controller<R extends HasMetadata> {
  private final String kind;
  private final Class<R> type;
  private final Reconciler<R> reconciler;
  private final Map<Class<?>, BiFunction<R, ResourceStore, Set<?>>> secondaries = new HashMap<>();
  private final Map<String, Watch> watches = new HashMap<>();

  /** A mapping from changes of another kind to the primaries they concern. */
  record Watch(BiFunction<HasMetadata, ResourceStore, Set<ResourceKey>> mapper, boolean specOnly) {}

  private GenericRetry retry =
      new GenericRetry().setInitialInterval(500).setIntervalMultiplier(2).setMaxInterval(30_000);

  public Controller(String kind, Class<R> type, Reconciler<R> reconciler) {
    this.kind = kind;
    this.type = type;
    this.reconciler = reconciler;
    retry.withoutMaxAttempts();
  }

  /** Lets {@code Context.getSecondaryResources(secondary)} answer from the store. */
  public <S> Controller<R> secondary(
      Class<S> secondary, BiFunction<R, ResourceStore, Set<S>> lookup) {
    secondaries.put(secondary, lookup::apply);
    return this;
  }

  /**
   * Enqueues the primaries {@code mapper} names whenever a resource of {@code otherKind} changes
   * (spec or status), is added or removed. The mapper sees the old and the new version in turn,
   * with the store to look related resources up in.
   */
  public Controller<R> watch(
      String otherKind, BiFunction<HasMetadata, ResourceStore, Set<ResourceKey>> mapper) {
    watches.put(otherKind, new Watch(mapper, false));
    return this;
  }

  /** Like {@link #watch} but ignores status-only changes of {@code otherKind}. */
  public Controller<R> watchSpec(
      String otherKind, BiFunction<HasMetadata, ResourceStore, Set<ResourceKey>> mapper) {
    watches.put(otherKind, new Watch(mapper, true));
    return this;
  }

  public Controller<R> retry(GenericRetry retry) {
    this.retry = retry;
    return this;
  }

  public String kind() {
    return kind;
  }

  public Class<R> type() {
    return type;
  }

  public Reconciler<R> reconciler() {
    return reconciler;
  }

  @SuppressWarnings("unchecked")
  public Cleaner<R> cleaner() {
    return reconciler instanceof Cleaner<?> c ? (Cleaner<R>) c : null;
  }

  /**
   * The Context the runtime hands {@code primary}'s reconcile (or cleanup, when {@code deleted}):
   * secondaries answered from {@code store} through this controller's lookups. Public so a test can
   * drive a reconciler exactly as the runtime does, without starting one.
   */
  public Context<R> context(R primary, ResourceStore store, boolean deleted) {
    return new StandaloneContext<>(primary, this, store, null, deleted);
  }

  /**
   * The primaries this controller's watches enqueue when the store changes a resource of another
   * kind from {@code previous} to {@code current} (either null for an add or a removal): what the
   * mapper names for the old version and for the new one, nothing for a status-only change of a
   * {@link #watchSpec} kind.
   */
  public Set<ResourceKey> enqueuedBy(
      HasMetadata previous, HasMetadata current, ResourceStore store) {
    Watch watch = watches.get(ResourceKey.of(current != null ? current : previous).kind());
    Set<ResourceKey> keys = new LinkedHashSet<>();
    if (watch == null || (watch.specOnly() && !specChanged(previous, current))) {
      return keys;
    }
    if (previous != null) {
      keys.addAll(watch.mapper().apply(previous, store));
    }
    if (current != null) {
      keys.addAll(watch.mapper().apply(current, store));
    }
    return keys;
  }

  /** An add, a removal, or a new generation: a change of spec rather than of status alone. */
  static boolean specChanged(HasMetadata previous, HasMetadata current) {
    return previous == null
        || current == null
        || !Objects.equals(generation(previous), generation(current));
  }

  static Long generation(HasMetadata r) {
    return r.getMetadata() == null ? null : r.getMetadata().getGeneration();
  }

  GenericRetry retryPolicy() {
    return retry;
  }

  Map<Class<?>, BiFunction<R, ResourceStore, Set<?>>> secondaries() {
    return secondaries;
  }
}
