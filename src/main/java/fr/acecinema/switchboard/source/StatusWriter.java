package fr.acecinema.switchboard.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
   * The location is being changed by someone else right now (a file still open for writing):
   * nothing was written, the same statuses should be tried again after {@code retryAfter}.
   */
  final class BusyException extends IOException {
    private final java.time.Duration retryAfter;

    public BusyException(String message, java.time.Duration retryAfter) {
      super(message);
      this.retryAfter = retryAfter;
    }

    public java.time.Duration retryAfter() {
      return retryAfter;
    }
  }

  /** One status to write, for {@link #writeAll}. */
  record Entry(Origin origin, long expectedGeneration, ObjectNode status) {}

  /**
   * Replaces the status of the declaration at {@code origin}, only if its derived generation is
   * still {@code expectedGeneration}. Implementations never change anything outside the status.
   */
  Outcome write(Origin origin, long expectedGeneration, ObjectNode status) throws IOException;

  /**
   * Writes several statuses of one location (documents of one file) as one change where the writer
   * can; the default writes them one by one.
   *
   * @return one outcome per entry, in order
   */
  default List<Outcome> writeAll(List<Entry> entries) throws IOException {
    List<Outcome> outcomes = new ArrayList<>();
    for (Entry e : entries) {
      outcomes.add(write(e.origin(), e.expectedGeneration(), e.status()));
    }
    return outcomes;
  }
}
