package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.HubView;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.HubViewTable;
import fr.acecinema.switchboard.reconciler.HubViewSource;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each hub's view of every Backend and Site, shared through the database (hubs sharing a fleet).
 * This hub writes its own: a store listener notes every change of a Backend's or Site's {@code
 * Ready} (status or reason), and a thread of its own writes what changed, marks the hub as running
 * and reads the other hubs' views every {@code every}. A change in another hub's view enqueues the
 * resource, whose reconciler then puts every view into {@code status.hubs}. A hub not heard for
 * {@code silentAfter} shows {@code Unknown}, reason {@code HubSilent}: its last view is not news.
 */
public final class HubViews implements ResourceStore.Listener, HubViewSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HubViews.class);

  /** Reason of the view of a hub not heard for a while. */
  public static final String HUB_SILENT = "HubSilent";

  private final String hub;
  private final Supplier<Optional<Database>> database;
  private final Consumer<ResourceKey> enqueue;
  private final Duration every;
  private final Duration silentAfter;
  private final Object lock = new Object();
  // Guarded by lock: views to write (null status: delete), and the others' last read views.
  private final Map<ResourceKey, HubViewTable.Row> pending = new LinkedHashMap<>();
  private Map<ResourceKey, List<HubView>> others = Map.of();
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param hub this hub's name
   * @param database the shared database, once open
   * @param enqueue hands a resource whose other views changed to the runtime
   */
  public HubViews(
      String hub,
      Supplier<Optional<Database>> database,
      Consumer<ResourceKey> enqueue,
      Duration every,
      Duration silentAfter) {
    this.hub = hub;
    this.database = database;
    this.enqueue = enqueue;
    this.every = every;
    this.silentAfter = silentAfter;
    this.thread = Thread.ofPlatform().daemon().name("hub-views").unstarted(this::run);
  }

  public void start() {
    thread.start();
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (!key.kind().equals("Backend") && !key.kind().equals("Site")) {
      return;
    }
    Condition was = ready(previous);
    Condition now = ready(current);
    if (current != null
        && was != null
        && now != null
        && Objects.equals(was.status, now.status)
        && Objects.equals(was.reason, now.reason)) {
      return;
    }
    HubViewTable.Row row =
        current == null || now == null
            ? new HubViewTable.Row(hub, key.kind(), key.name(), null, null, null, 0)
            : new HubViewTable.Row(
                hub, key.kind(), key.name(), now.status, now.reason, instant(now), 0);
    synchronized (lock) {
      pending.put(key, row); // written at the next round: a flapping backend costs no more
    }
  }

  @Override
  public List<HubView> views(String kind, String name, Condition ownReady) {
    List<HubView> out = new ArrayList<>();
    out.add(
        new HubView(
            hub,
            ownReady == null ? Condition.UNKNOWN : ownReady.status,
            ownReady == null ? null : ownReady.reason,
            ownReady == null ? null : ownReady.lastTransitionTime));
    synchronized (lock) {
      out.addAll(others.getOrDefault(new ResourceKey(kind, name), List.of()));
    }
    return out;
  }

  /** One round: mark this hub running, write its changed views, read the others'. */
  void round() {
    Optional<Database> db = database.get();
    if (db.isEmpty()) {
      return;
    }
    List<HubViewTable.Row> batch;
    synchronized (lock) {
      batch = List.copyOf(pending.values());
    }
    try {
      List<HubViewTable.Row> read =
          db.get()
              .withConnection(
                  "hub views",
                  c -> {
                    HubViewTable.touch(c, hub);
                    HubViewTable.write(c, batch);
                    return HubViewTable.others(c, hub);
                  });
      Map<ResourceKey, List<HubView>> next = new HashMap<>();
      for (HubViewTable.Row r : read) {
        boolean silent = r.silentMillis() > silentAfter.toMillis();
        next.computeIfAbsent(new ResourceKey(r.kind(), r.name()), k -> new ArrayList<>())
            .add(
                new HubView(
                    r.hub(),
                    silent ? Condition.UNKNOWN : r.status(),
                    silent ? HUB_SILENT : r.reason(),
                    r.since() == null ? null : r.since().toString()));
      }
      next.values().forEach(l -> l.sort(Comparator.comparing(v -> v.hub)));
      List<ResourceKey> changed = new ArrayList<>();
      synchronized (lock) {
        batch.forEach(
            r -> pending.remove(new ResourceKey(r.kind(), r.name()), r)); // unless changed again
        for (ResourceKey k : union(others.keySet(), next.keySet())) {
          if (!Objects.equals(others.get(k), next.get(k))) {
            changed.add(k);
          }
        }
        others = next;
      }
      changed.forEach(enqueue);
    } catch (RuntimeException e) {
      // Routing never depends on this: the views wait for the database (RecordsSynced says so).
      log.debug("hub views not exchanged: {}", e.toString());
    }
  }

  private static List<ResourceKey> union(
      java.util.Set<ResourceKey> a, java.util.Set<ResourceKey> b) {
    java.util.Set<ResourceKey> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  private void run() {
    while (!closed) {
      round();
      synchronized (lock) {
        if (closed) {
          return;
        }
        try {
          lock.wait(every.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static Condition ready(HasMetadata r) {
    if (r instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof ResourceStatus s) {
      return s.condition(ConditionTypes.READY).orElse(null);
    }
    return null;
  }

  private static Instant instant(Condition c) {
    try {
      return c.lastTransitionTime == null ? null : Instant.parse(c.lastTransitionTime);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    try {
      thread.join(every.toMillis() + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
