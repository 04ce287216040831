package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.postgres.InventoryRecord;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import java.util.List;

/**
 * The three inventory calls the {@link RecordsReconciler} makes, so its tests can stand a fake
 * database in; in production, {@link RecordsRepository}'s.
 */
interface InventoryRows {
  /** See {@link RecordsRepository#upsertInventory}. */
  void upsert(
      String kind, String name, String source, JsonNode spec, JsonNode status, long generation);

  /** See {@link RecordsRepository#markDeleted}. */
  boolean markDeleted(String kind, String name);

  /** The live rows of every kind, see {@link RecordsRepository#inventory}. */
  List<InventoryRecord> live();

  static InventoryRows of(RecordsRepository repo) {
    return new InventoryRows() {
      @Override
      public void upsert(
          String kind,
          String name,
          String source,
          JsonNode spec,
          JsonNode status,
          long generation) {
        repo.upsertInventory(kind, name, source, spec, status, generation);
      }

      @Override
      public boolean markDeleted(String kind, String name) {
        return repo.markDeleted(kind, name);
      }

      @Override
      public List<InventoryRecord> live() {
        return repo.inventory(null);
      }
    };
  }
}
