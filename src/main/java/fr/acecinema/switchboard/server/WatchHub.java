package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns the store's change stream into watch events ({@code ADDED}, {@code MODIFIED}, {@code
 * DELETED}) for API clients. Each watcher has a bounded queue: the store's writer never waits for a
 * slow client; a client that falls {@link #QUEUE} events behind gets an {@code ERROR} event (410,
 * re-list and watch again) and its stream ends.
 */
public final class WatchHub implements ResourceStore.Listener {
  /** Events one watcher may have pending. */
  public static final int QUEUE = 1024;

  /** Watchers at once; more get 429, each holds a server thread. */
  public static final int MAX_WATCHERS = 32;

  private final ObjectMapper mapper;
  private final ResourceStore store;
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();

  public WatchHub(ResourceStore store, ObjectMapper mapper) {
    this.store = store;
    this.mapper = mapper;
  }

  /** One client's stream of events for one kind (and optionally one name). */
  public final class Watch implements AutoCloseable {
    private final String kind;
    private final String name;
    private final BlockingQueue<JsonNode> queue = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean overflowed;

    private Watch(String kind, String name) {
      this.kind = kind;
      this.name = name;
    }

    /**
     * The next event, null when none came within {@code wait}; an {@code ERROR} event after an
     * overflow, after which the caller ends the stream.
     */
    public JsonNode next(Duration wait) throws InterruptedException {
      if (overflowed && queue.isEmpty()) {
        return error(410, "Expired", "the watch fell behind; list again and start a new watch");
      }
      return queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean overflowed() {
      return overflowed;
    }

    void offer(JsonNode event) {
      if (!overflowed && !queue.offer(event)) {
        overflowed = true;
        queue.clear();
      }
    }

    boolean wants(ResourceKey key) {
      return key.kind().equals(kind) && (name == null || key.name().equals(name));
    }

    @Override
    public void close() {
      watches.remove(this);
    }
  }

  /**
   * Starts a watch; the current resources come first as {@code ADDED} events, as Kubernetes does
   * for a watch without a resourceVersion.
   *
   * @return empty when {@link #MAX_WATCHERS} watches are open
   */
  public java.util.Optional<Watch> open(String kind, String name) {
    if (watches.size() >= MAX_WATCHERS) {
      return java.util.Optional.empty();
    }
    Watch w = new Watch(kind, name);
    watches.add(w);
    for (ResourceKey key : store.keys()) {
      if (w.wants(key)) {
        store.get(key).ifPresent(r -> w.offer(event("ADDED", r)));
      }
    }
    return java.util.Optional.of(w);
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (watches.isEmpty()) {
      return;
    }
    String type = previous == null ? "ADDED" : current == null ? "DELETED" : "MODIFIED";
    JsonNode event = null;
    for (Watch w : watches) {
      if (w.wants(key)) {
        if (event == null) {
          event = event(type, current == null ? previous : current);
        }
        w.offer(event);
      }
    }
  }

  private JsonNode event(String type, HasMetadata resource) {
    ObjectNode object = mapper.valueToTree(resource);
    if (object.get("metadata") instanceof ObjectNode metadata) {
      long generation = metadata.path("generation").asLong(0);
      metadata.put("resourceVersion", ApiObjects.resourceVersion(generation, object.get("status")));
    }
    ObjectNode event = mapper.createObjectNode();
    event.put("type", type);
    event.set("object", object);
    return event;
  }

  private JsonNode error(int code, String reason, String message) {
    ObjectNode event = mapper.createObjectNode();
    event.put("type", "ERROR");
    event.set("object", ApiObjects.failure(code, reason, message, null));
    return event;
  }

  /** A keep-alive event for idle streams (Kubernetes' BOOKMARK): clients may ignore it. */
  public JsonNode bookmark(String kind) {
    ObjectNode event = mapper.createObjectNode();
    event.put("type", "BOOKMARK");
    ObjectNode object = event.putObject("object");
    object.put("apiVersion", ApiObjects.API_VERSION);
    object.put("kind", kind);
    object.putObject("metadata");
    return event;
  }

  /** Open watches, for tests and metrics. */
  public int open() {
    return watches.size();
  }
}
