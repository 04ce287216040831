package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Told about every configuration pushed to Caddy. Implementations never block and never throw: the
 * router calls it on its push path, whether the database is up or not.
 */
@FunctionalInterface
public interface RevisionRecorder {
  /** Records nothing (records off, tests). */
  RevisionRecorder NONE = (hash, content, error) -> {};

  /**
   * @param hash the content hash the router computed (it decides whether a push is needed)
   * @param content the configuration sent to Caddy's admin API
   * @param error Caddy's error when the push failed, null when it was applied
   */
  void pushed(String hash, JsonNode content, String error);
}
