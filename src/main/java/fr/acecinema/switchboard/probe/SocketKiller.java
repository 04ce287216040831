package fr.acecinema.switchboard.probe;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the hub's TCP connections to hosts judged dead (adapter over {@code ss -K}, iproute2's
 * SOCK_DESTROY, which needs CAP_NET_ADMIN in the network namespace Caddy runs in).
 *
 * <p>Why: a request Caddy sent to a host that went silent waits for its response timeout (2 s by
 * default) before Caddy retries it elsewhere, and a WebSocket to it waits for TCP to give up (many
 * minutes). Destroying the socket makes Caddy see the error at once: a GET is retried on the
 * upstreams the resolver answers now (the dead host is no longer among them), a WebSocket client is
 * disconnected and reconnects to a live backend. Only connections to a whole host that stopped
 * answering the heartbeat are destroyed, never those of a backend that merely fails its health
 * check.
 */
public final class SocketKiller {
  private static final Logger log = LoggerFactory.getLogger(SocketKiller.class);

  private static final Pattern STATE =
      Pattern.compile("^(ESTAB|SYN-SENT|SYN-RECV|FIN-WAIT|CLOSE-WAIT|LAST-ACK|CLOSING)");

  private final List<String> command;
  private final Duration timeout;
  private final AtomicBoolean warned = new AtomicBoolean();

  /**
   * @param command the {@code ss} command and any prefix, e.g. {@code [ss]} or {@code [ip, netns,
   *     exec, hub, ss]}; empty disables killing
   */
  public SocketKiller(List<String> command, Duration timeout) {
    this.command = List.copyOf(command);
    this.timeout = timeout;
  }

  /** A killer that does nothing (tests of the core, or no permission to kill sockets). */
  public static SocketKiller disabled() {
    return new SocketKiller(List.of(), Duration.ofSeconds(1));
  }

  public boolean enabled() {
    return !command.isEmpty();
  }

  /** Destroys every TCP connection to these hosts; returns how many were destroyed. */
  public int kill(Collection<String> hosts) {
    if (command.isEmpty() || hosts.isEmpty()) {
      return 0;
    }
    List<String> argv = new ArrayList<>(command);
    argv.add("-K");
    argv.add("-t");
    argv.add("-n");
    boolean first = true;
    for (String h : hosts) {
      if (!h.matches("^[0-9a-fA-F.:]+$")) {
        continue; // literal addresses only: nothing from a manifest reaches the command line
      }
      if (!first) {
        argv.add("or");
      }
      argv.add("dst");
      argv.add(h.contains(":") ? "[" + h + "]" : h);
      first = false;
    }
    if (first) {
      return 0;
    }
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        warnOnce(
            "`" + String.join(" ", argv) + "` did not finish in " + timeout.toMillis() + " ms");
        return 0;
      }
      // ss prints a header, then one line per destroyed socket (state first).
      int killed = (int) out.lines().filter(l -> STATE.matcher(l).lookingAt()).count();
      if (p.exitValue() != 0) {
        warnOnce("`" + String.join(" ", argv) + "` exited " + p.exitValue() + ": " + out.strip());
      }
      return killed;
    } catch (IOException e) {
      warnOnce("cannot run " + command.get(0) + " to end connections to dead hosts: " + e);
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private void warnOnce(String message) {
    if (warned.compareAndSet(false, true)) {
      log.warn(
          "{}; requests stuck on a dead site will wait for their response timeout instead"
              + " (needs iproute2's ss and CAP_NET_ADMIN, see docs/caddy.md)",
          message);
    } else {
      log.debug(message);
    }
  }
}
