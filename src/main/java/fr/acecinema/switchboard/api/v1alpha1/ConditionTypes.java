package fr.acecinema.switchboard.api.v1alpha1;

import java.util.List;

/** Condition types and reasons shared by the reconcilers, the CLI and the docs. */
public final class ConditionTypes {
  private ConditionTypes() {}

  /** The manifest was parsed, validated and is the only declaration of its kind/name. */
  public static final String ACCEPTED = "Accepted";

  /** The resource does its job: a backend takes traffic, a service or site has a ready backend. */
  public static final String READY = "Ready";

  /** A backend answers its health check (hysteresis applied). */
  public static final String HEALTHY = "Healthy";

  /** A service's routes are live in Caddy. */
  public static final String ROUTED = "Routed";

  /** A site's WireGuard peer has a recent handshake. */
  public static final String TUNNEL_UP = "TunnelUp";

  /** A Site's agent heartbeats the hub (only for sites that run one). */
  public static final String AGENT_CONNECTED = "AgentConnected";

  /** A Deployment's newest revision is being rolled out (True) or done (False). */
  public static final String PROGRESSING = "Progressing";

  /** A Deployment has at least as many ready replicas as it asks, less maxUnavailable. */
  public static final String AVAILABLE = "Available";

  /** A Deployment's newest rollout failed and it went back to the previous revision. */
  public static final String ROLLED_BACK = "RolledBack";

  /**
   * Some of a Deployment's replicas cannot run: the sites' agents report why (an image missing on a
   * site, a port taken, a container that exits), or the sites have no room for them.
   */
  public static final String REPLICA_FAILURE = "ReplicaFailure";

  /** This hub leads the fleet it shares with other hubs (a process condition). */
  public static final String LEADER = "Leader";

  /** The resource's records are in PostgreSQL. */
  public static final String RECORDS_SYNCED = "RecordsSynced";

  private static final List<String> ORDER =
      List.of(
          ACCEPTED,
          READY,
          HEALTHY,
          ROUTED,
          TUNNEL_UP,
          AGENT_CONNECTED,
          PROGRESSING,
          AVAILABLE,
          ROLLED_BACK,
          REPLICA_FAILURE,
          RECORDS_SYNCED);

  static int order(String type) {
    int i = ORDER.indexOf(type);
    return i < 0 ? ORDER.size() : i;
  }

  /** Reasons. */
  public static final String VALID = "Valid";

  public static final String INVALID_SPEC = "InvalidSpec";
  public static final String YAML_SYNTAX_ERROR = "YamlSyntaxError";
  public static final String CONFLICT = "Conflict";
  public static final String SITE_NOT_FOUND = "SiteNotFound";
  public static final String SERVICE_NOT_FOUND = "ServiceNotFound";
  public static final String ADDRESS_OUTSIDE_SUBNET = "AddressOutsideSubnet";
  public static final String NO_BACKENDS = "NoBackends";
  public static final String NO_HEALTHY_BACKENDS = "NoHealthyBackends";
  public static final String NO_READY_BACKENDS = "NoReadyBackends";
  public static final String BACKENDS_READY = "BackendsReady";
  public static final String PROBE_SUCCEEDED = "ProbeSucceeded";
  public static final String PROBE_FAILED = "ProbeFailed";
  public static final String PROBE_PENDING = "ProbePending";
  public static final String DRAINING = "Draining";
  public static final String SITE_MAINTENANCE = "SiteMaintenance";
  public static final String SITE_DOWN = "SiteDown";
  public static final String SERVING = "Serving";

  /** Ready=False: the backend's host stopped answering the heartbeat (its machine or site). */
  public static final String HOST_UNREACHABLE = "HostUnreachable";

  /** Ready=False: the backend's host answers, but nothing listens on its port (heartbeat). */
  public static final String PORT_CLOSED = "PortClosed";

  /** Site Ready=False: every host of the site stopped answering the heartbeat. */
  public static final String UNREACHABLE = "Unreachable";

  public static final String TUNNEL_DOWN = "TunnelDown";
  public static final String HANDSHAKE_RECENT = "HandshakeRecent";
  public static final String HANDSHAKE_STALE = "HandshakeStale";
  public static final String NO_HANDSHAKE = "NoHandshake";
  public static final String TRAFFIC_STALLED = "TrafficStalled";
  public static final String PEER_NOT_FOUND = "PeerNotFound";
  public static final String WG_UNAVAILABLE = "WgUnavailable";
  public static final String TUNNEL_PENDING = "TunnelPending";
  public static final String PUSHED = "Pushed";
  public static final String IN_SYNC = "InSync";
  public static final String CADDY_UNREACHABLE = "CaddyUnreachable";
  public static final String CADDY_REJECTED = "CaddyRejected";
  public static final String ROUTING_PENDING = "RoutingPending";
}
