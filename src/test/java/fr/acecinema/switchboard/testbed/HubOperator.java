package fr.acecinema.switchboard.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real operator, as shipped ({@code target/switchboard.jar run}), running inside the hub
 * namespace: it probes 10.200.x over the tunnels, reads {@code wg show} of the hub's interface and
 * pushes to Caddy's admin API there, exactly as on a hub. Its traffic never leaves the testbed.
 * Statuses land in the manifest files (same filesystem). Stopped by {@link #close()} and, if a test
 * dies, by a JVM shutdown hook (and {@code testbed.sh down} kills whatever is left in the hub).
 */
public final class HubOperator implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final Thread hook;

  private HubOperator(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.hook = new Thread(this::stop, "hub-operator-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Starts {@code sbctl run} in {@link Testbed#HUB} on {@code manifests}, without records (no
   * database), routing to Caddy at {@code caddyAdmin} (as seen from the hub) with automatic HTTPS
   * off. The API listens on a loopback port of the hub (unused by tests).
   *
   * @param extraArgs further {@code run} flags, e.g. {@code --resync=5s}
   */
  public static HubOperator start(
      Path manifests, String caddyAdmin, String caddyListen, String... extraArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--manifests=" + manifests.toAbsolutePath(),
                "--listen=127.0.0.1:" + CaddyProcess.freePort(),
                "--records=off",
                "--caddy-admin=" + caddyAdmin,
                "--caddy-listen=" + caddyListen,
                "--caddy-auto-https=off"));
    args.addAll(List.of(extraArgs));
    return startIn(Testbed.HUB, args);
  }

  /**
   * {@code sbctl run} with exactly {@code runArgs} (plus a {@code --data-dir} of its own) inside
   * namespace {@code ns}, e.g. {@link Testbed#HUB2}.
   */
  public static HubOperator startIn(String ns, List<String> runArgs) {
    try {
      return startIn(ns, Files.createTempDirectory("sb-hub-operator-"), runArgs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * As {@link #startIn(String, List)} with {@code data} as its data directory (a test puts tokens
   * there first); removed with the operator.
   */
  public static HubOperator startIn(String ns, Path data, List<String> runArgs) {
    Path jar = Path.of("target", "switchboard.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build it first (mvn -B -q package -DskipTests -DskipITs)");
    }
    try {
      Files.createDirectories(data);
      Path log = data.resolve("operator.log");
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "ip",
                  "netns",
                  "exec",
                  ns,
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:+UseSerialGC",
                  "-Xmx256m",
                  "-jar",
                  jar.toString(),
                  "run",
                  "--data-dir=" + data));
      cmd.addAll(runArgs);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
      Process p = pb.redirectOutput(log.toFile()).start();
      return new HubOperator(p, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL, as a crash: nothing of the operator's shutdown runs. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** The operator's combined output so far. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Fails with the operator's log if it died. */
  public void assertAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "the operator exited with " + process.exitValue() + "; its log:\n" + log());
    }
  }

  private synchronized void stop() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(log.getParent())) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp dir left behind is harmless
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
