package fr.acecinema.switchboard.server;

/**
 * What a bearer token may do. {@code read}, {@code write} and {@code admin} each include the ones
 * before it: {@code read} lists, gets, watches and scrapes {@code /metrics}; {@code write} also
 * creates and updates resources; {@code admin} also deletes them (a deploy pipeline can hold a
 * write token that cannot remove a site). {@code agent} is outside that ladder: bound to one site,
 * it may only do what a site's agent does (read its Site, register and remove the Backends it
 * manages inside the site's subnet, report heartbeats), checked by {@code AgentPolicy}; it covers
 * none of the others, so a stolen agent token touches nothing else.
 */
public enum Scope {
  read,
  write,
  admin,
  agent;

  /** Whether a token of this scope may do what {@code needed} guards. */
  public boolean covers(Scope needed) {
    if (this == agent || needed == agent) {
      return this == needed;
    }
    return ordinal() >= needed.ordinal();
  }
}
