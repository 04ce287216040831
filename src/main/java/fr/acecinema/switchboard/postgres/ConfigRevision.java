package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A configuration pushed to Caddy.
 *
 * @param id revision number, increasing
 * @param hash content hash computed by the pusher
 * @param content the configuration sent
 * @param pushedAt when it was pushed
 * @param result whether Caddy accepted it
 * @param error Caddy's error when it did not, else null
 */
public record ConfigRevision(
    long id, String hash, JsonNode content, Instant pushedAt, Result result, String error) {

  /** Outcome of a push. */
  public enum Result {
    APPLIED,
    FAILED
  }
}
