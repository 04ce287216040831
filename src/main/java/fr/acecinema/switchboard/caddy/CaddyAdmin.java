package fr.acecinema.switchboard.caddy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the router asks of Caddy's admin API: one call. {@link CaddyAdminClient} is the one
 * implementation; the interface lets the router's tests stand a fake Caddy in.
 */
public interface CaddyAdmin {
  /**
   * Makes Caddy run {@code desired} as server {@code name}, writing only on drift.
   *
   * @return true when a write (a reload) happened
   * @throws CaddyException.Rejected Caddy refused the config; the old one keeps serving
   * @throws CaddyException.Conflict our server changed between read and write; retry
   * @throws CaddyException.Unreachable Caddy is not there
   */
  boolean apply(String name, JsonNode desired) throws CaddyException;
}
