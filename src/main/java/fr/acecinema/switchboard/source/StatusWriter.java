package fr.acecinema.switchboard.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Writes a status back where a resource was declared (a file's document, a table row). */
public interface StatusWriter {
  /** What a write did. */
  enum Outcome {
    /** The status was written. */
    WRITTEN,
    /** The stored status was already this one; nothing was written. */
    UNCHANGED,
    /**
     * The declaration changed since it was read (a user's edit): nothing was written, the new
     * version will be reconciled and write its own status.
     */
    STALE
  }

  /**
   * Replaces the status of the declaration at {@code origin}, only if its derived generation is
   * still {@code expectedGeneration}. Implementations never change anything outside the status.
   */
  Outcome write(Origin origin, long expectedGeneration, ObjectNode status) throws IOException;
}
