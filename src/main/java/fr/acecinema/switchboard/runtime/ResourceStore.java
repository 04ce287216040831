package fr.acecinema.switchboard.runtime;

import fr.acecinema.switchboard.api.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The in-memory view of every accepted resource, with secondary indexes (e.g. backends by service).
 * Sources write it; reconcilers only read it. Listeners hear of every change so the runtime can
 * enqueue keys: an event carries no state, the reconcile re-reads this store.
 */
public final class ResourceStore {
  /**
   * Hears of changes; called after the store is updated, on the writer's thread, one change at a
   * time and in the order the store made them, listeners in the order they were added.
   */
  public interface Listener {
    /**
     * @param previous the resource before the change, null when it is new
     * @param current the resource after the change, null when it was removed
     */
    void onChange(ResourceKey key, HasMetadata previous, HasMetadata current);
  }

  private record Index(String kind, Function<HasMetadata, List<String>> values) {}

  private final Map<ResourceKey, HasMetadata> resources = new ConcurrentHashMap<>();
  private final Map<String, Index> indexes = new ConcurrentHashMap<>();
  // index name -> value -> keys
  private final Map<String, Map<String, Set<ResourceKey>>> indexed = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  // Held from a change until every listener has heard it: a reconcile that read this change cannot
  // have its own change heard first (a site's down told before the backend's down it read).
  // Readers never take it.
  private final Object notifying = new Object();

  /** Declares an index over one kind, e.g. ("backendsByService", "Backend", b -> service). */
  public synchronized void addIndex(
      String name, String kind, Function<HasMetadata, List<String>> values) {
    indexes.put(name, new Index(kind, values));
    Map<String, Set<ResourceKey>> byValue = new ConcurrentHashMap<>();
    indexed.put(name, byValue);
    resources.forEach(
        (k, r) -> {
          if (k.kind().equals(kind)) {
            values.apply(r).forEach(v -> byValue.computeIfAbsent(v, x -> newKeySet()).add(k));
          }
        });
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** Inserts or replaces a resource; returns the previous one. */
  public HasMetadata put(HasMetadata resource) {
    ResourceKey key = ResourceKey.of(resource);
    synchronized (notifying) {
      HasMetadata previous;
      synchronized (this) {
        previous = resources.put(key, resource);
        reindex(key, previous, resource);
      }
      listeners.forEach(l -> l.onChange(key, previous, resource));
      return previous;
    }
  }

  /**
   * Replaces the stored resource's status, only if the stored resource still has {@code
   * generation}: a reconcile of an older version must not overwrite a newer spec.
   *
   * @return true when the status was stored
   */
  public boolean updateStatus(ResourceKey key, long generation, HasMetadata withStatus) {
    synchronized (notifying) {
      HasMetadata previous;
      synchronized (this) {
        previous = resources.get(key);
        if (previous == null
            || previous.getMetadata().getGeneration() == null
            || previous.getMetadata().getGeneration() != generation) {
          return false;
        }
        resources.put(key, withStatus);
      }
      listeners.forEach(l -> l.onChange(key, previous, withStatus));
      return true;
    }
  }

  /** Removes a resource; returns it, or null when it was not there. */
  public HasMetadata remove(ResourceKey key) {
    synchronized (notifying) {
      HasMetadata previous;
      synchronized (this) {
        previous = resources.remove(key);
        if (previous == null) {
          return null;
        }
        reindex(key, previous, null);
      }
      listeners.forEach(l -> l.onChange(key, previous, null));
      return previous;
    }
  }

  public Optional<HasMetadata> get(ResourceKey key) {
    return Optional.ofNullable(resources.get(key));
  }

  public <R extends HasMetadata> Optional<R> get(Class<R> type, String kind, String name) {
    return get(new ResourceKey(kind, name)).map(type::cast);
  }

  public <R extends HasMetadata> List<R> list(Class<R> type, String kind) {
    List<R> out = new ArrayList<>();
    resources.forEach(
        (k, r) -> {
          if (k.kind().equals(kind)) {
            out.add(type.cast(r));
          }
        });
    return out;
  }

  public List<ResourceKey> keys() {
    return new ArrayList<>(resources.keySet());
  }

  /** The resources whose index {@code name} holds {@code value}. */
  public <R extends HasMetadata> List<R> byIndex(Class<R> type, String name, String value) {
    Map<String, Set<ResourceKey>> byValue = indexed.get(name);
    if (byValue == null) {
      throw new IllegalArgumentException("no index " + name);
    }
    List<R> out = new ArrayList<>();
    for (ResourceKey k : byValue.getOrDefault(value, Set.of())) {
      HasMetadata r = resources.get(k);
      if (r != null) {
        out.add(type.cast(r));
      }
    }
    return out;
  }

  public int size() {
    return resources.size();
  }

  private void reindex(ResourceKey key, HasMetadata previous, HasMetadata current) {
    for (Map.Entry<String, Index> e : indexes.entrySet()) {
      Index index = e.getValue();
      if (!index.kind().equals(key.kind())) {
        continue;
      }
      Map<String, Set<ResourceKey>> byValue = indexed.get(e.getKey());
      if (previous != null) {
        for (String v : index.values().apply(previous)) {
          Set<ResourceKey> keys = byValue.get(v);
          if (keys != null) {
            keys.remove(key);
            if (keys.isEmpty()) {
              byValue.remove(v);
            }
          }
        }
      }
      if (current != null) {
        index
            .values()
            .apply(current)
            .forEach(v -> byValue.computeIfAbsent(v, x -> newKeySet()).add(key));
      }
    }
  }

  private static Set<ResourceKey> newKeySet() {
    return ConcurrentHashMap.newKeySet();
  }
}
