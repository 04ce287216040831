package fr.acecinema.switchboard.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away cluster of the system's PostgreSQL (Debian's {@code postgresql-15}), owned by the
 * {@code postgres} user in a temp dir, listening on 127.0.0.1 (and one testbed address when asked),
 * trust authentication for its superuser {@code soak}: an external database a test can restart for
 * real. Needs root (to run the server as {@code postgres}). Removed on {@link #close()} and by a
 * shutdown hook.
 */
public final class ScratchPostgres implements AutoCloseable {
  private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  private final Path dir;
  private final int port;
  private final String listen;
  private final Thread hook;

  private ScratchPostgres(Path dir, int port, String listen) {
    this.dir = dir;
    this.port = port;
    this.listen = listen;
    this.hook = new Thread(this::stopAndRemove, "scratch-postgres-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Whether the system's PostgreSQL server binaries are installed. */
  public static boolean available() {
    return Files.isExecutable(BIN.resolve("pg_ctl"));
  }

  /** Creates the cluster and starts it; fails with the tool's output when it cannot. */
  public static ScratchPostgres start() {
    return start(null, null);
  }

  /**
   * As {@link #start()}, listening also on {@code address} (a testbed address of the root
   * namespace) for clients of {@code clients} (a CIDR, e.g. the hubs' links), trusted as the
   * loopback ones are.
   */
  public static ScratchPostgres start(String address, String clients) {
    try {
      Path dir = Files.createTempDirectory("sb-scratch-pg-");
      run(List.of("chown", "postgres:postgres", dir.toString()));
      ScratchPostgres pg =
          new ScratchPostgres(
              dir, CaddyProcess.freePort(), address == null ? "127.0.0.1" : "127.0.0.1," + address);
      asPostgres(
          BIN.resolve("initdb").toString(),
          "-D",
          pg.data().toString(),
          "-A",
          "trust",
          "-U",
          "soak",
          "--no-sync");
      if (clients != null) {
        Files.writeString(
            pg.data().resolve("pg_hba.conf"),
            "host all all " + clients + " trust\n",
            java.nio.file.StandardOpenOption.APPEND);
      }
      pg.pgCtl("start");
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JDBC URL of the cluster's {@code postgres} database as its superuser. */
  public String jdbcUrl() {
    return jdbcUrl("127.0.0.1");
  }

  /** As {@link #jdbcUrl()}, reaching the server at {@code host}. */
  public String jdbcUrl(String host) {
    return "jdbc:postgresql://" + host + ":" + port + "/postgres?user=soak";
  }

  /** A fast restart: open sessions are ended, the server is down for a moment. */
  public void restart() {
    pgCtl("restart");
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void pgCtl(String action) {
    asPostgres(
        BIN.resolve("pg_ctl").toString(),
        "-D",
        data().toString(),
        "-l",
        dir.resolve("server.log").toString(),
        "-m",
        "fast",
        "-w",
        "-o",
        "-p " + port + " -c listen_addresses=" + listen + " -k " + dir + " -c fsync=off",
        action);
  }

  private static void asPostgres(String... command) {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(List.of(command));
    run(cmd);
  }

  private static void run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private synchronized void stopAndRemove() {
    if (Files.exists(data().resolve("postmaster.pid"))) {
      try {
        pgCtl("stop");
      } catch (RuntimeException e) {
        // removed below anyway; the server dies with its data dir's lock file gone
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp dir left behind is harmless
    }
  }

  @Override
  public void close() {
    stopAndRemove();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
