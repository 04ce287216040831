package fr.acecinema.switchboard.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.source.StatusWriter;
import java.io.IOException;

/** Carries a reconciled status to wherever the resource is declared (file, row). */
public interface StatusPublisher {
  /** Writes the status of {@code key} if it is still declared with {@code generation}. */
  StatusWriter.Outcome publish(ResourceKey key, long generation, ObjectNode status)
      throws IOException;
}
