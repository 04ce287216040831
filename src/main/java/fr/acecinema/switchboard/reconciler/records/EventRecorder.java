package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.postgres.EventType;

/**
 * Records Kubernetes-style events about a resource. Never blocks and never throws; identical events
 * (object, type, reason, message) are counted, not repeated.
 */
@FunctionalInterface
public interface EventRecorder {
  /** Records nothing. */
  EventRecorder NONE = (key, type, reason, message) -> {};

  void event(ResourceKey key, EventType type, String reason, String message);
}
