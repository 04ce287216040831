package fr.acecinema.switchboard.server;

/**
 * What a bearer token may do. Each scope includes the ones before it: {@code read} lists, gets,
 * watches and scrapes {@code /metrics}; {@code write} also creates and updates resources; {@code
 * admin} also deletes them (a deploy pipeline can hold a write token that cannot remove a site).
 */
public enum Scope {
  read,
  write,
  admin;

  /** Whether a token of this scope may do what {@code needed} guards. */
  public boolean covers(Scope needed) {
    return ordinal() >= needed.ordinal();
  }
}
