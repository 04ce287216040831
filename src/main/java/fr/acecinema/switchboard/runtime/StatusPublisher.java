package fr.acecinema.switchboard.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import java.io.IOException;

/** Carries a reconciled status to wherever the resource is declared (file, row). */
public interface StatusPublisher {
  /** What became of a status handed over. */
  enum Outcome {
    /** Written where the resource is declared. */
    WRITTEN,
    /** The stored status was already this one. */
    UNCHANGED,
    /** The declaration changed meanwhile (or is gone): its new version will be reconciled. */
    STALE,
    /** Accepted; it is written shortly, batched with others of its file. */
    QUEUED
  }

  /**
   * For a runtime instance whose reconcilers keep no status (records): refuses, so a reconciler
   * that returns one is caught in tests.
   */
  StatusPublisher NONE =
      (key, generation, status) -> {
        throw new IllegalStateException(key + ": this runtime instance publishes no status");
      };

  /** Writes the status of {@code key} if it is still declared with {@code generation}. */
  Outcome publish(ResourceKey key, long generation, ObjectNode status) throws IOException;
}
