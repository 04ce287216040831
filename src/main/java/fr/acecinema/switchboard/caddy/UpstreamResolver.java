package fr.acecinema.switchboard.caddy;

import fr.acecinema.switchboard.caddy.DnsWire.Query;
import fr.acecinema.switchboard.caddy.DnsWire.Srv;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS server Caddy asks for a service's upstreams (adapter). Caddy 2.6.2 closes every proxied
 * WebSocket on every config reload; its {@code dynamic_upstreams} (SRV source) are the one way to
 * change where a route sends traffic without a reload (docs/caddy.md, "Upstreams by DNS"). The
 * router publishes, per service tier, the upstreams that should take traffic now; Caddy asks again
 * when its cached answer is older than its {@code refresh}.
 *
 * <p>Names (all under {@value #ZONE}): {@code t0.<service>.svc} (SRV: the tier taking traffic),
 * {@code t1.<service>.svc} (SRV: the next tier, for the error route), and {@code 10-200-0-23.ip} /
 * {@code <32 hex>.ip6} (A / AAAA: SRV targets must be host names, so an address is spelled as a
 * name and read back without any state). A query that arrives before the router's first answers (a
 * restart) waits for them, at most {@link #COLD_START_HOLD}; a name still not published then gets
 * SERVFAIL: Caddy then uses the route's static upstreams, so a restart never routes from an empty
 * view of health.
 *
 * <p>TCP only (Caddy is given {@code tcp/HOST:PORT}): a lookup is one short connection on loopback,
 * answers of any size fit, and when this process is gone the connection is refused at once, so
 * Caddy falls back without waiting for a UDP timeout.
 */
public final class UpstreamResolver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamResolver.class);

  /** The zone of every name Switchboard answers for. */
  public static final String ZONE = "switchboard.internal.";

  private final ServerSocket server;
  private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
  private final Thread acceptor;
  private volatile Map<String, List<Srv>> answers = Map.of();

  /**
   * How long a query waits for the router's first answers after a (re)start. Until then SERVFAIL
   * would send Caddy to the routes' static upstreams, which are those of the last pushed config and
   * may be gone by now (measured: 25 of 101 requests failed across a hub restart after the fleet's
   * containers had changed); the first answers come once the fleet is read, well within this, and
   * Caddy's lookup waits instead of failing over to a stale list.
   */
  static final Duration COLD_START_HOLD = Duration.ofSeconds(2);

  private final CountDownLatch firstPublish = new CountDownLatch(1);
  private volatile boolean closed;

  private UpstreamResolver(ServerSocket server) {
    this.server = server;
    this.acceptor = Thread.ofPlatform().name("upstream-resolver").daemon().unstarted(this::accept);
  }

  /** Listens on {@code address} (port 0 picks a free one) and starts answering. */
  public static UpstreamResolver start(InetSocketAddress address) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(address, 256);
    } catch (java.net.BindException e) {
      s.close();
      throw new java.net.BindException(
          "cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + " for Caddy's lookups ("
              + e.getMessage()
              + "); another Switchboard may run there: pick a free address with --caddy-resolver"
              + " / SWITCHBOARD_CADDY_RESOLVER");
    }
    UpstreamResolver r = new UpstreamResolver(s);
    r.acceptor.start();
    log.info("upstream resolver listening on tcp/{}", r.address());
    return r;
  }

  /** Where Caddy must send its lookups, {@code host:port}. */
  public String address() {
    InetSocketAddress a = (InetSocketAddress) server.getLocalSocketAddress();
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Replaces every answer at once (name → SRV records); names absent answer SERVFAIL. */
  public void publish(Map<String, List<Srv>> byName) {
    answers = Map.copyOf(byName);
    firstPublish.countDown();
  }

  /** What is published now. */
  public Map<String, List<Srv>> published() {
    return answers;
  }

  /** The SRV name of a service's tier (0 = taking traffic, 1 = next). */
  public static String serviceName(String service, int tier) {
    return "t" + tier + "." + service + ".svc." + ZONE;
  }

  /** The host name standing for a literal IP address in SRV targets. */
  public static String hostName(String ip) {
    InetAddress a = literal(ip);
    if (a.getAddress().length == 4) {
      return a.getHostAddress().replace('.', '-') + ".ip." + ZONE;
    }
    return HexFormat.of().formatHex(a.getAddress()) + ".ip6." + ZONE;
  }

  /** Answers one query (pure but for the published answers). */
  byte[] answer(byte[] message) {
    Query q = DnsWire.parse(message);
    String name = q.name();
    if (!name.endsWith("." + ZONE)) {
      return DnsWire.empty(q, DnsWire.RCODE_NAME_ERROR);
    }
    String local = name.substring(0, name.length() - ZONE.length() - 1);
    if (local.endsWith(".ip") || local.endsWith(".ip6")) {
      InetAddress a = decode(local);
      if (a == null) {
        return DnsWire.empty(q, DnsWire.RCODE_NAME_ERROR);
      }
      int wanted = a.getAddress().length == 4 ? DnsWire.TYPE_A : DnsWire.TYPE_AAAA;
      return q.type() == wanted ? DnsWire.address(q, a) : DnsWire.empty(q, DnsWire.RCODE_OK);
    }
    List<Srv> records = answers.get(name);
    if (records == null) {
      return DnsWire.empty(q, DnsWire.RCODE_SERVER_FAILURE);
    }
    return q.type() == DnsWire.TYPE_SRV
        ? DnsWire.srv(q, records)
        : DnsWire.empty(q, DnsWire.RCODE_OK);
  }

  private static InetAddress decode(String local) {
    try {
      if (local.endsWith(".ip")) {
        String dotted = local.substring(0, local.length() - 3).replace('-', '.');
        if (!dotted.matches("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$")) {
          return null;
        }
        return InetAddress.getByName(dotted);
      }
      String hex = local.substring(0, local.length() - 4);
      if (!hex.matches("^[0-9a-f]{32}$")) {
        return null;
      }
      return InetAddress.getByAddress(HexFormat.of().parseHex(hex));
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress literal(String ip) {
    if (!ip.matches("^[0-9a-fA-F.:]+$")) {
      throw new IllegalArgumentException("not a literal IP address: " + ip);
    }
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not a literal IP address: " + ip, e);
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = server.accept();
        connections.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) {
          log.warn("upstream resolver: accept failed: {}", e.toString());
        }
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(5000);
      s.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      while (true) {
        int len;
        try {
          len = in.readUnsignedShort();
        } catch (EOFException e) {
          return;
        }
        byte[] message = in.readNBytes(len);
        if (firstPublish.getCount() > 0) {
          try {
            firstPublish.await(COLD_START_HOLD.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            return; // closing
          }
        }
        byte[] reply;
        try {
          reply = answer(message);
        } catch (IllegalArgumentException e) {
          log.debug("upstream resolver: malformed query: {}", e.getMessage());
          return;
        }
        out.writeShort(reply.length);
        out.write(reply);
        out.flush();
      }
    } catch (SocketException e) {
      log.debug("upstream resolver: {}", e.toString());
    } catch (IOException e) {
      log.debug("upstream resolver: {}", e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      log.debug("closing the upstream resolver: {}", e.toString());
    }
    connections.shutdownNow();
  }

  @Override
  public String toString() {
    return "UpstreamResolver[" + address() + ", " + answers.size() + " names]";
  }
}
