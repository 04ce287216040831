package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import fr.acecinema.switchboard.runtime.SyntheticResource;

/**
 * The key of the inventory sweep ({@code InventorySweep/inventory}): a singleton of the records
 * runtime instance, reconciled at every resync and after the database comes back, that marks
 * deleted the rows of resources that vanished while nothing could be written (or while the process
 * was down).
 */
@JsonDeserialize(using = JsonDeserializer.None.class)
public final class InventorySweep extends SyntheticResource {
  /** Kind of the synthetic resource. */
  public static final String KIND = "InventorySweep";

  public InventorySweep() {
    super("inventory");
  }

  @Override
  public String getKind() {
    return KIND;
  }
}
