package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.InventoryRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The inventory table in memory, behind a database a test can take down: while down, every call
 * fails as a lost connection does ({@link DatabaseUnavailableException}).
 */
final class FakeInventory implements Supplier<InventoryRows>, InventoryRows {
  private final Map<ResourceKey, InventoryRecord> live = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger upserts = new AtomicInteger();
  private final AtomicInteger deletions = new AtomicInteger();
  private volatile boolean down;

  /** A connection: refused while the database is down. */
  @Override
  public InventoryRows get() {
    connections.incrementAndGet();
    if (down) {
      throw new DatabaseUnavailableException("connection refused", null);
    }
    return this;
  }

  @Override
  public void upsert(
      String kind, String name, String source, JsonNode spec, JsonNode status, long generation) {
    upserts.incrementAndGet();
    live.put(
        new ResourceKey(kind, name),
        new InventoryRecord(
            0, kind, name, source, spec, status, generation, Instant.EPOCH, Instant.EPOCH, null));
  }

  @Override
  public boolean markDeleted(String kind, String name) {
    deletions.incrementAndGet();
    return live.remove(new ResourceKey(kind, name)) != null;
  }

  @Override
  public List<InventoryRecord> live() {
    return List.copyOf(live.values());
  }

  void down(boolean down) {
    this.down = down;
  }

  /** Attempts to reach the database, answered or not. */
  int connections() {
    return connections.get();
  }

  int upserts() {
    return upserts.get();
  }

  int deletions() {
    return deletions.get();
  }

  boolean has(ResourceKey key) {
    return live.containsKey(key);
  }

  InventoryRecord row(ResourceKey key) {
    return live.get(key);
  }
}
