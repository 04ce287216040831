package fr.acecinema.switchboard.config;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import fr.acecinema.switchboard.validation.Subnets;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Every setting of a Switchboard process, in one place. Each option is a flag ({@code --listen})
 * and an environment variable named after it ({@code SWITCHBOARD_LISTEN}, see {@link EnvDefaults})
 * with a default; a flag wins over the variable, the variable over the default. Used as a picocli
 * {@code @Mixin}; {@code docs/configuration.md} is generated from these annotations by {@link
 * ConfigurationDocs}.
 */
public class SwitchboardConfig {
  /** Log line format. Lower-case constants because they are what users type. */
  public enum LogFormat {
    text,
    json
  }

  /** Log threshold. */
  public enum LogLevel {
    error,
    warn,
    info,
    debug,
    trace
  }

  /** An on/off setting. */
  public enum Switch {
    on,
    off
  }

  /** Where the API stores the resources it creates. */
  public enum ApiTarget {
    file,
    table
  }

  @Option(
      names = "--manifests",
      paramLabel = "DIR",
      defaultValue = "/etc/switchboard/manifests",
      scope = ScopeType.INHERIT,
      description =
          "Watched directory of Site, Service and Backend manifests (*.yaml, *.yml). Absolute by"
              + " default, so that no command reads (and `run` never watches) whatever `manifests`"
              + " directory happens to be in the working directory.")
  Path manifests;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:7070",
      converter = Listen.class,
      scope = ScopeType.INHERIT,
      description =
          "Address of the HTTP API, /metrics, /healthz and /readyz; a non-loopback address needs"
              + " --tls-cert and --tls-key (or --insecure-listen).")
  InetSocketAddress listen;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = "/var/lib/switchboard",
      scope = ScopeType.INHERIT,
      description =
          "Directory for state the process owns (embedded PostgreSQL data, tokens, locks)."
              + " Absolute by default: a service manager's working directory is often `/`.")
  Path dataDir;

  @Option(
      names = "--shutdown-grace",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "On SIGTERM or SIGINT, how long sbctl run goes on serving with /readyz answering 503"
              + " (Ready=False Stopping; /healthz still 200, routing and probing go on) before it"
              + " closes its listener and stops; 0s closes at once, a second signal ends the wait."
              + " Keep it below the supervisor's stop timeout.")
  Duration shutdownGrace;

  @Option(
      names = "--probe-status-refresh",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "How often a backend's lastProbeTime and latency are refreshed in its manifest when its"
              + " health did not change (transitions are written at once).")
  Duration probeStatusRefresh;

  @Option(
      names = "--status-write-failing-after",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "How long every status write into one file (or row) must fail before /readyz says so"
              + " (StatusWritten=False, StatusWriteFailing, naming the file); a write that succeeds"
              + " in between starts the count again.")
  Duration statusWriteFailingAfter;

  @Option(
      names = "--resync",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description = "Interval of full rescans and re-reconciles, e.g. 30s or 1m30s.")
  Duration resync;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "4",
      scope = ScopeType.INHERIT,
      description =
          "Reconcile workers running in parallel (one key is never reconciled twice at once).")
  int workers;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      defaultValue = "text",
      scope = ScopeType.INHERIT,
      description = "Log line format on stderr: text for people, json for log collectors.")
  LogFormat logFormat;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      defaultValue = "info",
      scope = ScopeType.INHERIT,
      description =
          "Log threshold: error, warn, info, debug or trace (commands other than run log"
              + " warnings only unless debug or trace).")
  LogLevel logLevel;

  @Option(
      names = "--caddy-sync",
      paramLabel = "on|off",
      defaultValue = "on",
      scope = ScopeType.INHERIT,
      description =
          "Push the services' routes to Caddy's admin API (off: Caddy is never contacted and"
              + " services get no Routed condition).")
  Switch caddySync;

  @Option(
      names = "--caddy-admin",
      paramLabel = "URL",
      defaultValue = "http://127.0.0.1:2019",
      converter = HttpUrlConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "Caddy admin API that receives the routes. Switchboard writes only its own server"
              + " (apps.http.servers.switchboard) and leaves the rest of Caddy's config alone.")
  URI caddyAdmin;

  @Option(
      names = "--caddy-listen",
      paramLabel = "[HOST]:PORT",
      defaultValue = ":80",
      scope = ScopeType.INHERIT,
      description =
          "Address Caddy serves Switchboard's routes on; it must not be a listener of another"
              + " Caddy server (e.g. a Caddyfile site on :80).")
  String caddyListen;

  @Option(
      names = "--caddy-auto-https",
      paramLabel = "on|off",
      defaultValue = "on",
      scope = ScopeType.INHERIT,
      description =
          "Let Caddy obtain certificates for the services' hosts and redirect HTTP to HTTPS (a"
              + " real hub, with --caddy-listen :443). Caddy applies it only to a listener on"
              + " another port than 80; tests and the demo turn it off.")
  Switch caddyAutoHttps;

  @Option(
      names = "--caddy-resolver",
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:7053",
      scope = ScopeType.INHERIT,
      description =
          "Where Switchboard answers Caddy's DNS lookups of each service's upstreams (TCP)."
              + " Health changes reach Caddy this way, never by a reload (a Caddy 2.6.2 reload"
              + " closes every WebSocket). Caddy must reach it: loopback when both run on the hub."
              + " Port 0 picks a free port, for tests and the demo: a restart then gets another"
              + " one and must push a new config, which costs failed requests (measured: 13 of 93"
              + " at 50 requests/s); keep a fixed port in production.")
  String caddyResolver;

  @Option(
      names = "--caddy-resolver-refresh",
      paramLabel = "DURATION",
      defaultValue = "100ms",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "How long Caddy keeps the resolver's answer before asking again: the longest a health"
              + " change waits before Caddy routes by it.")
  Duration caddyResolverRefresh;

  @Option(
      names = "--heartbeat-interval",
      paramLabel = "DURATION",
      defaultValue = "100ms",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "Time between two heartbeats (a TCP connection attempt) to each backend host; any"
              + " answer, even a refusal, proves the host and its site's link alive.")
  Duration heartbeatInterval;

  @Option(
      names = "--heartbeat-timeout",
      paramLabel = "DURATION",
      defaultValue = "200ms",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "How long one heartbeat may wait for its answer; above the worst round trip to a site.")
  Duration heartbeatTimeout;

  @Option(
      names = "--heartbeat-misses",
      paramLabel = "N",
      defaultValue = "3",
      scope = ScopeType.INHERIT,
      description =
          "Consecutive unanswered heartbeats that judge a host dead: its backends leave rotation"
              + " at once and the hub's connections to it are ended (--kill-sockets).")
  int heartbeatMisses;

  @Option(
      names = "--kill-sockets",
      paramLabel = "on|off",
      defaultValue = "on",
      scope = ScopeType.INHERIT,
      description =
          "End the hub's TCP connections to a host judged dead (iproute2's `ss -K`, needs"
              + " CAP_NET_ADMIN in Caddy's network namespace), so requests and WebSockets stuck"
              + " on it are retried or reconnected at once instead of waiting for timeouts.")
  Switch killSockets;

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "PostgreSQL URL, e.g. postgresql://switchboard:secret@db:5432/switchboard or"
              + " jdbc:postgresql://db:5432/switchboard; empty runs an embedded PostgreSQL in the"
              + " data dir (its port is written to DATA_DIR/postgres.port for sbctl).")
  String databaseUrl;

  @Option(
      names = "--records",
      paramLabel = "on|off",
      defaultValue = "on",
      scope = ScopeType.INHERIT,
      description =
          "Keep records in PostgreSQL (inventory, health history, Caddy revisions, events,"
              + " Deployment revisions) and read declarations from its resources table; off runs"
              + " without any database.")
  Switch records;

  @Option(
      names = "--api-target",
      paramLabel = "file|table",
      defaultValue = "file",
      scope = ScopeType.INHERIT,
      description =
          "Where resources created through the API are stored: file writes"
              + " MANIFESTS/api/KIND-NAME.yaml, table writes rows of the resources table in"
              + " PostgreSQL (needs --records on); the table target still lists the files and"
              + " refuses a name that a file already declares.")
  ApiTarget apiTarget;

  @Option(
      names = "--records-buffer",
      paramLabel = "N",
      defaultValue = "10000",
      scope = ScopeType.INHERIT,
      description =
          "Records (health transitions, events, minutes of probe aggregates, revisions) kept in"
              + " memory while the database is unavailable; beyond it the oldest are dropped and"
              + " counted.")
  int recordsBuffer;

  @Option(
      names = "--leader-election",
      paramLabel = "on|off",
      defaultValue = "off",
      scope = ScopeType.INHERIT,
      description =
          "Share the fleet with other hubs through one database (--database-url): only the hub"
              + " holding the lease writes statuses, records and webhooks and decides"
              + " Deployments; every hub probes and routes its own Caddy. Off: this hub does all.")
  Switch leaderElection;

  @Option(
      names = "--hub-name",
      paramLabel = "NAME",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "This hub's name among the fleet's hubs (the lease's holder, shown in statuses);"
              + " unique and stable across restarts. Empty: the host name.")
  String hubName;

  @Option(
      names = "--lease-duration",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "How long the leader's lease runs without renewal (renewed every fifth of it): another"
              + " hub takes over at most this plus a fifth after the leader stops or is cut off.")
  Duration leaseDuration;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description = "PEM certificate chain: serve the API over HTTPS (with --tls-key).")
  String tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description = "PEM private key (PKCS#8, unencrypted) of --tls-cert.")
  String tlsKey;

  @Option(
      names = "--insecure-listen",
      paramLabel = "true|false",
      arity = "0..1",
      defaultValue = "false",
      scope = ScopeType.INHERIT,
      description =
          "Serve the API in plain HTTP on a non-loopback address (bearer tokens cross the network"
              + " in clear: only inside a private network such as WireGuard).")
  boolean insecureListen;

  @Option(
      names = "--webhook",
      paramLabel = "URL",
      defaultValue = "",
      split = ",",
      scope = ScopeType.INHERIT,
      description =
          "Receives a signed JSON event when a backend or site goes down or up, or a Caddy sync"
              + " fails; repeat the flag, or separate URLs with commas in the variable.")
  List<String> webhooks;

  @Option(
      names = "--webhook-secret",
      paramLabel = "SECRET",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "HMAC-SHA256 key of the X-Switchboard-Signature header of webhooks (prefer the"
              + " variable: flags show in process lists).")
  String webhookSecret;

  @Option(
      names = "--allow-subnets",
      paramLabel = "CIDR",
      defaultValue = "",
      split = ",",
      scope = ScopeType.INHERIT,
      description =
          "Site subnets accepted although they are not a site's LAN: wider than /16 (IPv4) or /48"
              + " (IPv6), or overlapping loopback, link-local, cloud metadata, multicast or"
              + " unspecified ranges (refused by default: a write token could make the hub probe"
              + " them). A Site subnet inside one of these blocks is accepted, e.g. 127.0.0.0/8"
              + " for a test fleet on loopback; repeat the flag or separate blocks with commas."
              + " Set the variable for sbctl get, apply and validate too, so they agree with run.")
  List<String> allowSubnets;

  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "A running Switchboard's API, e.g. http://127.0.0.1:7070 or https://hub:7070: get,"
              + " describe, apply, delete, wait, events, history and revisions go there (with"
              + " --token) instead of the local manifests directory and database.")
  String server;

  @Option(
      names = "--server-ca",
      paramLabel = "FILE",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "PEM certificate(s) to trust for an https --server (or the agent's --hub) whose"
              + " certificate is not from a public CA (e.g. the hub's own --tls-cert); replaces the"
              + " JVM's CAs for that connection.")
  String serverCa;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "Bearer token for --server, from sbctl token create, or the agent's token for --hub (sbctl"
              + " token create NAME --site SITE --scope agent); prefer the variable: flags show in"
              + " process lists.")
  String token;

  @Option(
      names = "--hub",
      paramLabel = "URL[,URL]",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "sbctl agent: the hub's API, e.g. https://10.200.0.1:7443, where the agent registers its"
              + " site's containers as Backends and sends its heartbeats (with --token). Two hubs"
              + " sharing the fleet: both, comma-separated; heartbeats go to each, Backends and"
              + " Deployments are read and written through the first that answers.")
  String hub;

  @Option(
      names = "--site",
      paramLabel = "SITE",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "The Site an agent runs on (sbctl agent), or an agent token acts for (sbctl token"
              + " create --scope agent), e.g. dijon.")
  String site;

  @Option(
      names = "--docker-socket",
      paramLabel = "FILE",
      defaultValue = "/var/run/docker.sock",
      scope = ScopeType.INHERIT,
      description =
          "sbctl agent: the Docker engine's unix socket (the agent reads containers and events; it"
              + " never starts or stops one).")
  Path dockerSocket;

  @Option(
      names = "--advertise-address",
      paramLabel = "IP",
      defaultValue = "",
      scope = ScopeType.INHERIT,
      description =
          "sbctl agent: the address the hub reaches this site's host-network containers at; empty"
              + " takes the one address of this host inside the Site's subnet (an error if there"
              + " are none or several).")
  String advertiseAddress;

  @Option(
      names = "--agent-interval",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "sbctl agent: time between two heartbeats to the hub; the hub judges the agent gone after"
              + " three missed.")
  Duration agentInterval;

  @Option(
      names = "--agent-resync",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "sbctl agent: time between two full lists of the containers when no Docker event came"
              + " (the safety net for a missed event).")
  Duration agentResync;

  /** Watched manifest directory. */
  public Path manifests() {
    return manifests;
  }

  /** Address of the health endpoints. */
  public InetSocketAddress listen() {
    return listen;
  }

  /** Directory for process-owned state. */
  public Path dataDir() {
    return dataDir;
  }

  /** Full resync interval. */
  public Duration resync() {
    return resync;
  }

  /** How long /readyz answers 503 after a stop signal before the listener closes. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  public Duration probeStatusRefresh() {
    return probeStatusRefresh;
  }

  public Duration statusWriteFailingAfter() {
    return statusWriteFailingAfter;
  }

  /** Number of reconcile workers. */
  public int workers() {
    return workers;
  }

  public LogFormat logFormat() {
    return logFormat;
  }

  public LogLevel logLevel() {
    return logLevel;
  }

  /** Caddy admin API base URL. */
  public URI caddyAdmin() {
    return caddyAdmin;
  }

  /** Caddy's public listen address, as Caddy writes it ({@code :80}, {@code 127.0.0.1:8080}). */
  public String caddyListen() {
    return caddyListen;
  }

  public boolean caddyAutoHttps() {
    return caddyAutoHttps == Switch.on;
  }

  /** Whether routes are pushed to Caddy. */
  public boolean caddySync() {
    return caddySync == Switch.on;
  }

  /** Where the upstream resolver listens, {@code host:port}. */
  public String caddyResolver() {
    return caddyResolver;
  }

  /** How long Caddy caches a resolver answer. */
  public Duration caddyResolverRefresh() {
    return caddyResolverRefresh;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration heartbeatTimeout() {
    return heartbeatTimeout;
  }

  public int heartbeatMisses() {
    return heartbeatMisses;
  }

  /** Whether connections to dead hosts are ended with {@code ss -K}. */
  public boolean killSockets() {
    return killSockets == Switch.on;
  }

  /** Empty when an embedded PostgreSQL should be started in {@link #dataDir()}. */
  /** Whether hubs share the fleet and elect a leader through the database. */
  public boolean leaderElection() {
    return leaderElection == Switch.on;
  }

  /** This hub's name: {@code --hub-name}, else the host name. */
  public String hubName() {
    if (hubName != null && !hubName.isBlank()) {
      return hubName.strip();
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return System.getenv().getOrDefault("HOSTNAME", "hub");
    }
  }

  public Duration leaseDuration() {
    return leaseDuration == null ? Duration.ofSeconds(10) : leaseDuration;
  }

  public String databaseUrl() {
    return databaseUrl == null ? "" : databaseUrl.trim();
  }

  /** Whether records (and the table source) are on. */
  public boolean records() {
    return records != Switch.off;
  }

  /** Where the API stores the resources it creates. */
  public ApiTarget apiTarget() {
    return apiTarget == null ? ApiTarget.file : apiTarget;
  }

  /** Capacity of the in-memory records buffer used while the database is unavailable. */
  public int recordsBuffer() {
    return recordsBuffer;
  }

  public boolean embeddedDatabase() {
    return databaseUrl().isEmpty();
  }

  /** PEM certificate of the API, empty for plain HTTP. */
  public Optional<Path> tlsCert() {
    return tlsCert == null || tlsCert.isBlank() ? Optional.empty() : Optional.of(Path.of(tlsCert));
  }

  /** PEM key of the API, empty for plain HTTP. */
  public Optional<Path> tlsKey() {
    return tlsKey == null || tlsKey.isBlank() ? Optional.empty() : Optional.of(Path.of(tlsKey));
  }

  public boolean insecureListen() {
    return insecureListen;
  }

  /** Webhook URLs, none when unset. */
  public List<URI> webhooks() {
    List<URI> out = new ArrayList<>();
    for (String w : webhooks == null ? List.<String>of() : webhooks) {
      if (!w.isBlank()) {
        out.add(new HttpUrlConverter().convert(w));
      }
    }
    return out;
  }

  public String webhookSecret() {
    return webhookSecret == null ? "" : webhookSecret;
  }

  /**
   * Which Site subnets are accepted ({@code --allow-subnets}).
   *
   * @throws IllegalArgumentException when a block is not a CIDR network (see {@link #problems()})
   */
  public SubnetPolicy subnetPolicy() {
    return SubnetPolicy.allowing(allowSubnets == null ? List.of() : allowSubnets);
  }

  /** The remote API sbctl talks to, empty for the local directory. */
  public Optional<URI> server() {
    return server == null || server.isBlank()
        ? Optional.empty()
        : Optional.of(new HttpUrlConverter().convert(server));
  }

  /** PEM certificates trusted for {@link #server()}, empty for the JVM's trust store. */
  public Optional<Path> serverCa() {
    return serverCa == null || serverCa.isBlank()
        ? Optional.empty()
        : Optional.of(Path.of(serverCa));
  }

  public String token() {
    return token == null ? "" : token.trim();
  }

  /** The (first) hub's API for {@code sbctl agent}, empty when unset. */
  public Optional<URI> hub() {
    return hubs().stream().findFirst();
  }

  /** Every hub's API for {@code sbctl agent}, in order; empty when unset. */
  public List<URI> hubs() {
    if (hub == null || hub.isBlank()) {
      return List.of();
    }
    List<URI> out = new ArrayList<>();
    for (String url : hub.split(",")) {
      out.add(new HttpUrlConverter().convert(url.strip()));
    }
    return List.copyOf(out);
  }

  /** The site of {@code sbctl agent}, empty when unset. */
  public String site() {
    return site == null ? "" : site.trim();
  }

  public Path dockerSocket() {
    return dockerSocket;
  }

  /** The agent's advertise address, empty to find it from the site's subnet. */
  public Optional<String> advertiseAddress() {
    return advertiseAddress == null || advertiseAddress.isBlank()
        ? Optional.empty()
        : Optional.of(advertiseAddress.trim());
  }

  public Duration agentInterval() {
    return agentInterval;
  }

  public Duration agentResync() {
    return agentResync;
  }

  /**
   * What {@code sbctl agent} needs beyond {@link #problems()}: the hub, the site and the token, and
   * sane intervals; each problem names the flag, the variable and the fix. Empty when usable.
   */
  public List<String> agentProblems() {
    List<String> out = new ArrayList<>();
    if (hub == null || hub.isBlank()) {
      out.add(
          "--hub / SWITCHBOARD_HUB is not set; give the hub's API, e.g. https://10.200.0.1:7443");
    } else {
      try {
        List<URI> hubs = hubs();
        if (Set.copyOf(hubs).size() < hubs.size()) {
          out.add("--hub / SWITCHBOARD_HUB names a hub twice: give each hub's API once");
        }
      } catch (IllegalArgumentException e) {
        out.add("--hub / SWITCHBOARD_HUB: " + e.getMessage());
      }
    }
    if (site().isEmpty()) {
      out.add("--site / SWITCHBOARD_SITE is not set; give the name of the Site this agent runs on");
    } else if (!site().matches(BackendSpec.NAME_PATTERN)) {
      out.add(
          "--site / SWITCHBOARD_SITE is '"
              + site()
              + "', not a Site name; use lower-case letters, digits and '-', e.g. dijon");
    }
    if (token().isEmpty()) {
      out.add(
          "--token / SWITCHBOARD_TOKEN is not set; create the agent's token on the hub with sbctl"
              + " token create NAME --site SITE --scope agent");
    }
    advertiseAddress()
        .filter(a -> !Subnets.isIpLiteral(a))
        .ifPresent(
            a ->
                out.add(
                    "--advertise-address / SWITCHBOARD_ADVERTISE_ADDRESS is '"
                        + a
                        + "', not an IP address; write e.g. 10.200.1.5, or leave it empty to take"
                        + " this host's address in the Site's subnet"));
    if (agentInterval.compareTo(Duration.ofSeconds(1)) < 0
        || agentInterval.compareTo(Duration.ofMinutes(5)) > 0) {
      out.add(
          "--agent-interval / SWITCHBOARD_AGENT_INTERVAL is "
              + agentInterval.toMillis()
              + "ms; use 1s to 5m");
    }
    if (agentResync.compareTo(Duration.ofSeconds(1)) < 0
        || agentResync.compareTo(Duration.ofHours(1)) > 0) {
      out.add(
          "--agent-resync / SWITCHBOARD_AGENT_RESYNC is "
              + agentResync.toMillis()
              + "ms; use 1s to 1h");
    }
    return out;
  }

  /**
   * Problems picocli's type conversion cannot see (ranges, cross-field rules), each naming the
   * flag, the variable and the fix. Empty when the configuration is usable.
   */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    if (workers < 1 || workers > 256) {
      out.add(
          "--workers / SWITCHBOARD_WORKERS is "
              + workers
              + "; use a number of workers between 1 and 256");
    }
    if (resync != null && resync.compareTo(Duration.ofSeconds(1)) < 0) {
      out.add(
          "--resync / SWITCHBOARD_RESYNC is "
              + resync.toMillis()
              + "ms; use at least 1s (every resync re-reads all manifests)");
    }
    if (shutdownGrace != null
        && (shutdownGrace.isNegative() || shutdownGrace.compareTo(Duration.ofMinutes(5)) > 0)) {
      out.add(
          "--shutdown-grace / SWITCHBOARD_SHUTDOWN_GRACE is "
              + shutdownGrace.toMillis()
              + "ms; use 0s to 5m, below the supervisor's stop timeout (Docker: 10s, systemd:"
              + " 90s)");
    }
    if (!caddyListen.matches("^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]*):[0-9]{1,5}$")) {
      out.add(
          "--caddy-listen / SWITCHBOARD_CADDY_LISTEN is '"
              + caddyListen
              + "'; write [HOST]:PORT, e.g. :80 or 127.0.0.1:8080");
    }
    if (!caddyResolver.matches("^(\\[[0-9a-fA-F:.]+\\]|[0-9a-zA-Z.-]+):[0-9]{1,5}$")) {
      out.add(
          "--caddy-resolver / SWITCHBOARD_CADDY_RESOLVER is '"
              + caddyResolver
              + "'; use HOST:PORT, e.g. 127.0.0.1:7053");
    }
    if (heartbeatMisses < 1 || heartbeatMisses > 100) {
      out.add(
          "--heartbeat-misses / SWITCHBOARD_HEARTBEAT_MISSES is "
              + heartbeatMisses
              + "; use 1-100");
    }
    if (heartbeatTimeout.compareTo(Duration.ofMillis(10)) < 0
        || heartbeatInterval.compareTo(Duration.ofMillis(10)) < 0) {
      out.add("--heartbeat-interval and --heartbeat-timeout must be at least 10ms");
    }
    if (!embeddedDatabase()
        && !databaseUrl().startsWith("jdbc:postgresql:")
        && !databaseUrl().startsWith("postgresql://")
        && !databaseUrl().startsWith("postgres://")) {
      out.add(
          "--database-url / SWITCHBOARD_DATABASE_URL is '"
              + databaseUrl().replaceAll("(://[^:/@]+:)[^@]*@", "$1***@")
              + "'; write postgresql://USER:PASSWORD@HOST:5432/DB or jdbc:postgresql://HOST:PORT/DB,"
              + " or leave it empty for the embedded database");
    }
    if (statusWriteFailingAfter.compareTo(Duration.ofSeconds(1)) < 0
        || statusWriteFailingAfter.compareTo(Duration.ofHours(1)) > 0) {
      out.add(
          "--status-write-failing-after / SWITCHBOARD_STATUS_WRITE_FAILING_AFTER is "
              + statusWriteFailingAfter
              + "; use between 1s and 1h");
    }
    if (recordsBuffer < 100 || recordsBuffer > 10_000_000) {
      out.add(
          "--records-buffer / SWITCHBOARD_RECORDS_BUFFER is "
              + recordsBuffer
              + "; use between 100 and 10000000 records");
    }
    if (apiTarget() == ApiTarget.table && !records()) {
      out.add(
          "--api-target / SWITCHBOARD_API_TARGET is table but --records / SWITCHBOARD_RECORDS is"
              + " off: the resources table lives in PostgreSQL; turn records on, or use"
              + " --api-target file");
    }
    if (leaderElection() && (!records() || databaseUrl().isEmpty())) {
      out.add(
          "--leader-election / SWITCHBOARD_LEADER_ELECTION is on without a shared database: give"
              + " every hub the same --database-url / SWITCHBOARD_DATABASE_URL (records on), or"
              + " turn it off for a single hub");
    }
    if (leaderElection() && apiTarget() != ApiTarget.table) {
      out.add(
          "--leader-election / SWITCHBOARD_LEADER_ELECTION is on with --api-target file: what"
              + " agents and API clients create would be files of this hub alone, unseen by the"
              + " other hubs; add --api-target table / SWITCHBOARD_API_TARGET=table");
    }
    if (leaseDuration().compareTo(Duration.ofSeconds(2)) < 0
        || leaseDuration().compareTo(Duration.ofMinutes(5)) > 0) {
      out.add(
          "--lease-duration / SWITCHBOARD_LEASE_DURATION is "
              + leaseDuration
              + "; use between 2s and 5m (10s: another hub takes over within 12 s)");
    }
    if (hubName != null && !hubName.isBlank() && !hubName.strip().matches("[A-Za-z0-9._-]{1,63}")) {
      out.add(
          "--hub-name / SWITCHBOARD_HUB_NAME is '"
              + hubName
              + "'; use 1 to 63 letters, digits, '.', '_' or '-', e.g. hub-paris");
    }
    if (tlsCert().isPresent() != tlsKey().isPresent()) {
      out.add(
          "--tls-cert / SWITCHBOARD_TLS_CERT and --tls-key / SWITCHBOARD_TLS_KEY go together;"
              + " give both for HTTPS or neither for plain HTTP");
    }
    if (listen != null
        && tlsCert().isEmpty()
        && !insecureListen
        && (listen.getAddress() == null || !listen.getAddress().isLoopbackAddress())) {
      out.add(
          "--listen / SWITCHBOARD_LISTEN is "
              + Listen.format(listen)
              + " without TLS; bearer tokens would cross the network in clear: give --tls-cert"
              + " and --tls-key, listen on 127.0.0.1, or pass --insecure-listen");
    }
    for (String w : webhooks == null ? List.<String>of() : webhooks) {
      if (!w.isBlank()) {
        try {
          new HttpUrlConverter().convert(w);
        } catch (IllegalArgumentException e) {
          out.add("--webhook / SWITCHBOARD_WEBHOOK: " + e.getMessage());
        }
      }
    }
    boolean anyWebhook =
        webhooks != null && webhooks.stream().anyMatch(w -> w != null && !w.isBlank());
    if (anyWebhook && webhookSecret().isEmpty()) {
      out.add(
          "--webhook is set without --webhook-secret / SWITCHBOARD_WEBHOOK_SECRET; receivers"
              + " could not verify events: set a secret of at least 16 characters");
    } else if (!webhookSecret().isEmpty() && webhookSecret().length() < 16) {
      out.add(
          "--webhook-secret / SWITCHBOARD_WEBHOOK_SECRET is too short; use at least 16"
              + " characters, e.g. openssl rand -hex 32");
    }
    try {
      server();
    } catch (IllegalArgumentException e) {
      out.add("--server / SWITCHBOARD_SERVER: " + e.getMessage());
    }
    try {
      subnetPolicy();
    } catch (IllegalArgumentException e) {
      out.add(
          "--allow-subnets / SWITCHBOARD_ALLOW_SUBNETS: "
              + e.getMessage()
              + "; write CIDR blocks separated by commas, e.g. 127.0.0.0/8");
    }
    return out;
  }
}
