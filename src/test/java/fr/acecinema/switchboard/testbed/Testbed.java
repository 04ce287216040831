package fr.acecinema.switchboard.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The multi-site testbed of {@code testbed/testbed.sh}: hub namespace {@value #HUB}, sites dijon
 * (10.200.0.0/24) and thory (10.200.1.0/24) over wireguard-go. The root namespace reaches the hub
 * at {@value #HUB_ADDRESS} only. {@link #close()} (and a JVM shutdown hook) tears everything down.
 * Requires root: {@link #up()} fails with a message otherwise.
 */
public final class Testbed implements AutoCloseable {
  public static final String HUB = "sbhub";
  public static final String HUB_ADDRESS = "169.254.77.2";

  /** The second hub ({@link #up(int)} with 2), and its address from the root namespace. */
  public static final String HUB2 = "sbhub2";

  public static final String HUB2_ADDRESS = "169.254.77.6";

  /**
   * The root namespace's end of the first hub's link, which both hubs reach: where a test serves
   * what the hubs share (a database, a webhook receiver).
   */
  public static final String ROOT_ADDRESS = "169.254.77.1";

  /** How a site is cut. */
  public enum Cut {
    /** The hub silently drops the site's traffic (connections hang, nothing refused). */
    BLACKHOLE,
    /** The site's tunnel and every process in its namespace are gone. */
    OFF
  }

  private record BackendSpec(String site, String address, int port, String name) {}

  private final Path script;
  private int hubs = 1;
  private final Map<BackendSpec, Process> backends = new ConcurrentHashMap<>();
  private final List<BackendSpec> killed = new CopyOnWriteArrayList<>();
  private final Thread hook;
  private Session session;

  /**
   * The testbed is one per machine (fixed namespace and interface names) and {@code up} starts by
   * removing leftovers: a second test JVM bringing it up would kill the first one's processes
   * mid-test. A JVM holds this lock from {@code up} to {@code down}; others wait (at most 10 min).
   */
  private record Session(java.nio.channels.FileChannel channel, java.nio.channels.FileLock lock) {
    static final Path FILE = Path.of("/run/switchboard-testbed.session");

    static Session acquire() {
      try {
        java.nio.channels.FileChannel ch =
            java.nio.channels.FileChannel.open(
                FILE,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE);
        java.util.concurrent.atomic.AtomicReference<java.nio.channels.FileLock> lock =
            new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofMinutes(10))
            .pollInterval(java.time.Duration.ofMillis(500))
            .alias("the testbed session lock " + FILE + " (another test JVM is using the testbed)")
            .until(
                () -> {
                  lock.set(ch.tryLock());
                  return lock.get() != null;
                });
        return new Session(ch, lock.get());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void release() {
      try {
        lock.release();
        channel.close();
      } catch (IOException ignored) {
        // closing the channel (or the JVM exiting) releases the lock anyway
      }
    }
  }

  private Testbed(Path script) {
    this.script = script;
    this.hook = new Thread(this::down, "testbed-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Brings the testbed up (removing leftovers of a crashed run first). */
  public static Testbed up() {
    return up(1);
  }

  /**
   * As {@link #up()}, with {@code hubs} hubs (1 or 2): the second, {@link #HUB2}, has its own links
   * and WireGuard peers to every site.
   */
  public static Testbed up(int hubs) {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException(
          "the multi-site testbed needs root (network namespaces, wireguard-go); run as root");
    }
    Path script = Path.of("testbed", "testbed.sh").toAbsolutePath();
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException(script + " is missing or not executable");
    }
    Testbed tb = new Testbed(script);
    tb.hubs = hubs;
    try {
      tb.session = Session.acquire();
      tb.run("up");
    } catch (RuntimeException e) {
      tb.close();
      throw e;
    }
    return tb;
  }

  /** Where testbed.sh keeps its keys (its SBTB_STATE default). */
  public static final Path STATE = Path.of("/run/switchboard-testbed");

  /** The hub's WireGuard interface, on which every site is a peer. */
  public static final String HUB_WG = "sbtbwg-hub";

  /** A site's WireGuard public key, as the hub lists it in {@code wg show}. */
  public static String publicKey(String site) {
    try {
      return Files.readString(STATE.resolve(site + ".pub")).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("testbed key of " + site + " unreadable (is it up?)", e);
    }
  }

  /** Namespace of a site, e.g. {@code sbdijon}. */
  public static String namespace(String site) {
    return "sb" + site;
  }

  /** Starts {@code testbed/backend.py} in the site's namespace and waits until it listens. */
  public void startBackend(String site, String address, int port, String name) {
    BackendSpec spec = new BackendSpec(site, address, port, name);
    awaitListening(spec, launch(spec));
  }

  private Process launch(BackendSpec spec) {
    try {
      return new ProcessBuilder(
              "ip",
              "netns",
              "exec",
              namespace(spec.site()),
              "/usr/bin/python3",
              script.resolveSibling("backend.py").toString(),
              spec.address(),
              Integer.toString(spec.port()),
              spec.name())
          .redirectErrorStream(true)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening(BackendSpec spec, Process p) {
    String name = spec.name();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("listening")) {
        p.destroyForcibly();
        throw new IllegalStateException("backend " + name + " did not start: " + line);
      }
      backends.put(spec, p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills one backend (as a crashed or stopped process: connections to it are refused). */
  public void stopBackend(String name) {
    BackendSpec b = spec(name);
    backends.remove(b).destroyForcibly().onExit().join();
    killed.add(b);
  }

  /** Starts a backend {@link #stopBackend} stopped again, on the same address and port. */
  public void restartBackend(String name) {
    BackendSpec b =
        killed.stream()
            .filter(k -> k.name().equals(name))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("backend " + name + " is not stopped"));
    killed.remove(b);
    startBackend(b.site(), b.address(), b.port(), b.name());
  }

  private BackendSpec spec(String name) {
    return backends.keySet().stream()
        .filter(b -> b.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no running backend " + name));
  }

  /** Cuts a site. {@link Cut#OFF} also kills its backends; {@link #heal} restarts them. */
  public void cut(Cut mode, String site) {
    run("cut", mode.name().toLowerCase(), site);
    if (mode == Cut.OFF) {
      backends.keySet().stream()
          .filter(b -> b.site().equals(site))
          .toList()
          .forEach(
              b -> {
                backends.remove(b).destroyForcibly();
                killed.add(b);
              });
    }
  }

  /** {@code hub} alone drops every packet to and from {@code site} (the other hub keeps it). */
  public void blackhole(String site, String hub) {
    run("cut", "blackhole", site, hub);
  }

  /** Every link of {@code hub}'s namespace goes down: its processes run on, unreachable. */
  public void isolate(String hub) {
    run("isolate", hub);
  }

  /** Undoes a cut, restarting backends an {@code off} cut killed. */
  public void heal(String site) {
    run("heal", site);
    // The site's processes come back together, as after a power cut (one after the other, 8
    // Python start-ups under load took up to 5 s, which the drills then counted as Switchboard's).
    List<Map.Entry<BackendSpec, Process>> starting = new ArrayList<>();
    for (BackendSpec b : List.copyOf(killed)) {
      if (b.site().equals(site)) {
        killed.remove(b);
        starting.add(Map.entry(b, launch(b)));
      }
    }
    for (Map.Entry<BackendSpec, Process> e : starting) {
      awaitListening(e.getKey(), e.getValue());
    }
  }

  /**
   * Every datagram from the site to the hub is held a uniformly random {@code minMs..maxMs} ({@code
   * testbed.sh delay on}: a UDP relay in the site's namespace carries its WireGuard traffic), so
   * every answer of the site arrives late; the other direction is not delayed.
   */
  public void delay(String site, int minMs, int maxMs) {
    run("delay", "on", site, Integer.toString(minMs), Integer.toString(maxMs));
  }

  /** Undoes {@link #delay}; the relay's counters land in {@link #relayLog}. */
  public void undelay(String site) {
    run("delay", "off", site);
  }

  /** The relay's output: its start line, and its counters once stopped. */
  public static String relayLog(String site) {
    try {
      return Files.readString(STATE.resolve("relay-" + site + ".log")).strip();
    } catch (IOException e) {
      return "(no relay log: " + e.getMessage() + ")";
    }
  }

  /** Runs a command inside a namespace and returns its output; fails on a non-zero exit. */
  public String exec(String ns, String... cmd) {
    List<String> args = new ArrayList<>(List.of("exec", ns));
    args.addAll(List.of(cmd));
    return run(args.toArray(String[]::new));
  }

  private String run(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(script.toString());
    cmd.addAll(List.of(args));
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("SBTB_HUBS", Integer.toString(hubs));
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("testbed.sh " + String.join(" ", args) + " hung");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "testbed.sh " + String.join(" ", args) + " failed (" + p.exitValue() + "):\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private synchronized void down() {
    if (session == null) {
      return; // never brought up (or already down): another JVM's testbed is not ours to remove
    }
    backends.values().forEach(Process::destroyForcibly);
    backends.clear();
    try {
      run("down");
    } catch (RuntimeException e) {
      System.err.println("testbed down failed: " + e.getMessage());
    } finally {
      session.release();
      session = null;
    }
  }

  @Override
  public void close() {
    down();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
