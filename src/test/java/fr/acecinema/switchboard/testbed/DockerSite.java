package fr.acecinema.switchboard.testbed;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A site with a real Docker engine, as {@code shared/notes/docker-in-a-site.md} checked it: a
 * network namespace of its own ({@value #PREFIX}PID-N) with only {@code lo} up, and {@code dockerd}
 * started in it through {@code nsenter --net=} ({@code ip netns exec} breaks dockerd's cgroup
 * mounts) with {@code --iptables=false --bridge=none}, so the engine never touches the host's
 * firewall or bridges; its data root, exec root and socket are in a private temporary folder.
 * Containers run with {@code --network host}: they listen on the site namespace's own addresses.
 *
 * <p>No registry is reachable, so {@link #importImages()} builds the images from busybox-static:
 * {@value #IMAGE} ({@code httpd} serving {@code /www}, where {@code /www/health} answers {@code
 * ok}, on {@code $PORT}, default 8080) and {@value #IMAGE_WITH_HEALTHCHECK}, the same with a Docker
 * HEALTHCHECK fetching {@code /health} every second.
 *
 * <p>Everything is undone by {@link #close()}, and by a JVM shutdown hook if a test dies:
 * containers removed, dockerd stopped by its pid (then killed), every process left in the namespace
 * killed, every mount under the folder ({@code EXEC_ROOT/netns/default}, overlay mounts) unmounted,
 * the folder and the namespace deleted. {@link #start()} first removes what a killed JVM left: the
 * namespaces and folders of this prefix whose JVM is gone. Requires root.
 */
public final class DockerSite implements AutoCloseable {
  /** Prefix of every namespace and folder this harness creates. */
  public static final String PREFIX = "sbdk-";

  /** busybox httpd on {@code $PORT}, no healthcheck. */
  public static final String IMAGE = "local/web:1";

  /** As {@link #IMAGE}, with a HEALTHCHECK on {@code /health} every second. */
  public static final String IMAGE_WITH_HEALTHCHECK = "local/web:1-health";

  private static final Duration COMMAND_LIMIT = Duration.ofSeconds(60);
  private static final Duration ENGINE_START_LIMIT = Duration.ofSeconds(30);
  private static final Duration ENGINE_STOP_LIMIT = Duration.ofSeconds(30);
  private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final String namespace;
  private final Path dir;
  private final Thread hook;
  private final Set<String> containers = ConcurrentHashMap.newKeySet();
  private Process dockerd;
  private Duration engineStart;
  private boolean closed;

  private DockerSite(String namespace, Path dir) {
    this.namespace = namespace;
    this.dir = dir;
    this.hook = new Thread(this::cleanUp, "docker-site-cleanup-" + namespace);
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Skips the calling test outside root, except under {@code CI=true}, where a Docker site that
   * cannot be built must fail the build rather than quietly drop its tests.
   */
  public static void requireRoot() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true: Docker sites in network namespaces need root");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(
        root, "a Docker engine in a network namespace needs root");
  }

  /** Creates the namespace and starts the engine in it; returns once the engine answers. */
  public static DockerSite start() {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException("a Docker site needs root (network namespaces, dockerd)");
    }
    for (String tool : List.of("dockerd", "docker", "busybox", "nsenter", "ip")) {
      if (which(tool).isEmpty()) {
        throw new IllegalStateException(
            tool
                + " is not on the PATH; bin/test installs it (apt-get install"
                + " --no-install-recommends docker.io busybox-static iproute2)");
      }
    }
    removeStale();
    String name = PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    Path dir;
    try {
      dir = Files.createTempDirectory(TMP, name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    DockerSite site = new DockerSite(name, dir);
    try {
      site.createNamespace();
      site.startEngine();
    } catch (RuntimeException e) {
      site.close();
      throw e;
    }
    return site;
  }

  /** The site's network namespace, e.g. {@code sbdk-1234-1}. */
  public String namespace() {
    return namespace;
  }

  /** The engine's API socket. */
  public Path socket() {
    return dir.resolve("docker.sock");
  }

  /** From launching dockerd to its API answering {@code docker version}. */
  public Duration engineStartTime() {
    return engineStart;
  }

  private void createNamespace() {
    BoundedCommand.check(List.of("ip", "netns", "add", namespace), COMMAND_LIMIT);
    BoundedCommand.check(List.of("ip", "-n", namespace, "link", "set", "lo", "up"), COMMAND_LIMIT);
  }

  private void startEngine() {
    try {
      Files.createDirectories(dir.resolve("data"));
      Files.createDirectories(dir.resolve("exec"));
      long t0 = System.nanoTime();
      // nsenter execs dockerd: the process's pid is dockerd's, which close() stops.
      dockerd =
          new ProcessBuilder(
                  "nsenter",
                  "--net=/var/run/netns/" + namespace,
                  "dockerd",
                  "--data-root",
                  dir.resolve("data").toString(),
                  "--exec-root",
                  dir.resolve("exec").toString(),
                  "-H",
                  "unix://" + socket(),
                  "--pidfile",
                  dir.resolve("docker.pid").toString(),
                  "--iptables=false",
                  "--ip6tables=false",
                  "--bridge=none")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("dockerd.log").toFile())
              .start();
      await()
          .alias("dockerd of " + namespace + " answering on " + socket())
          .atMost(ENGINE_START_LIMIT)
          .pollInterval(Duration.ofMillis(50))
          .failFast("dockerd exited:\n" + engineLog(), () -> !dockerd.isAlive())
          .until(() -> docker("version").exitCode() == 0);
      engineStart = Duration.ofNanos(System.nanoTime() - t0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last lines of dockerd's log, for failure messages. */
  public String engineLog() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("dockerd.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no dockerd log: " + e.getMessage() + ")";
    }
  }

  /**
   * Builds a busybox-static root filesystem and imports it as {@link #IMAGE} and {@link
   * #IMAGE_WITH_HEALTHCHECK}; returns how long the two imports took.
   */
  public Duration importImages() {
    Path root = dir.resolve("rootfs");
    try {
      Files.createDirectories(root.resolve("bin"));
      Files.createDirectories(root.resolve("www"));
      Files.copy(which("busybox").orElseThrow(), root.resolve("bin/busybox"));
      // Only the applets the images use: the server, the shell of CMD and HEALTHCHECK, the check
      // itself, and rm for a test to break the health file.
      for (String applet : List.of("httpd", "sh", "wget", "rm")) {
        Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
      }
      Files.writeString(root.resolve("www/health"), "ok\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String serve = "CMD [\"/bin/sh\",\"-c\",\"exec /bin/httpd -f -p $PORT -h /www\"]";
    long t0 = System.nanoTime();
    importRoot(root, IMAGE, List.of("ENV PORT=8080", serve));
    importRoot(
        root,
        IMAGE_WITH_HEALTHCHECK,
        List.of(
            "ENV PORT=8080",
            serve,
            "HEALTHCHECK --interval=1s --timeout=1s --retries=1"
                + " CMD wget -qO- http://127.0.0.1:$PORT/health || exit 1"));
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** An app that serves its {@code VERSION} at {@code /version}, and {@code /health}. */
  public static final String APP_1 = "local/app:1";

  /** As {@link #APP_1}, version 2. */
  public static final String APP_2 = "local/app:2";

  /** An app that never gets healthy: it listens on port 9, not on {@code $PORT}. */
  public static final String APP_BROKEN = "local/app:broken";

  /**
   * Imports {@link #APP_1}, {@link #APP_2} and {@link #APP_BROKEN} from the root filesystem of
   * {@link #importImages} (which must run first); returns how long the imports took.
   */
  public Duration importAppImages() {
    Path root = dir.resolve("rootfs");
    // Unlike busybox httpd as pid 1, which ignores SIGTERM, the app stops on it as a real service
    // does: a retired replica is gone once drained, not 10 s later at the SIGKILL.
    String serve =
        "CMD [\"/bin/sh\",\"-c\",\"echo $VERSION > /www/version; trap 'exit 0' TERM;"
            + " /bin/httpd -f -p $PORT -h /www & wait\"]";
    long t0 = System.nanoTime();
    importRoot(root, APP_1, List.of("ENV PORT=8080", "ENV VERSION=1", serve));
    importRoot(root, APP_2, List.of("ENV PORT=8080", "ENV VERSION=2", serve));
    importRoot(
        root,
        APP_BROKEN,
        List.of("ENV PORT=8080", "CMD [\"/bin/httpd\",\"-f\",\"-p\",\"9\",\"-h\",\"/www\"]"));
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** The names of the running containers. */
  public List<String> running() {
    String out = dockerChecked("ps", "--format", "{{.Names}}").strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  private void importRoot(Path root, String tag, List<String> changes) {
    List<String> cmd = new ArrayList<>(List.of("import"));
    changes.forEach(c -> cmd.addAll(List.of("-c", c)));
    cmd.addAll(List.of("-", tag));
    // The tar goes through a shell pipe: docker import reads the root filesystem on stdin.
    StringBuilder line =
        new StringBuilder("tar -C '" + root + "' -c . | docker -H 'unix://" + socket() + "'");
    cmd.forEach(a -> line.append(" '").append(a.replace("'", "'\\''")).append("'"));
    BoundedCommand.check(List.of("sh", "-c", line.toString()), COMMAND_LIMIT);
  }

  /**
   * Runs a container in the site ({@code docker run -d --network host}) serving on {@code port},
   * with {@code labels}; returns its id. Its stop timeout is 1 s: busybox httpd as pid 1 ignores
   * SIGTERM, and a test should not wait Docker's default 10 s for the SIGKILL.
   */
  public String run(String name, String image, int port, Map<String, String> labels) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "-d",
                "--network",
                "host",
                "--stop-timeout",
                "1",
                "--name",
                name,
                "-e",
                "PORT=" + port));
    new TreeMap<>(labels).forEach((k, v) -> args.addAll(List.of("--label", k + "=" + v)));
    args.add(image);
    containers.add(name);
    return dockerChecked(args.toArray(String[]::new)).strip();
  }

  /** {@code docker stop} (SIGTERM, SIGKILL after the 1 s stop timeout). */
  public void stop(String name) {
    dockerChecked("stop", name);
  }

  /** {@code docker rm -f}. */
  public void remove(String name) {
    dockerChecked("rm", "-f", name);
    containers.remove(name);
  }

  /** {@code docker inspect -f FORMAT NAME}; returns the output, stripped. */
  public String inspect(String name, String format) {
    return dockerChecked("inspect", "-f", format, name).strip();
  }

  /** {@code docker exec NAME CMD...}; returns the output. */
  public String exec(String name, String... cmd) {
    List<String> args = new ArrayList<>(List.of("exec", name));
    args.addAll(List.of(cmd));
    return dockerChecked(args.toArray(String[]::new));
  }

  /** Runs a command in the site's namespace ({@code ip netns exec}); returns the result. */
  public BoundedCommand.Result inNamespace(String... cmd) {
    List<String> args = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    args.addAll(List.of(cmd));
    return BoundedCommand.run(args, COMMAND_LIMIT);
  }

  /**
   * Fetches {@code http://127.0.0.1:PORT/PATH} from inside the site with busybox wget, killed after
   * 5 s. Without {@code -T}: Debian 12's busybox-static wget crashes (SIGSEGV, exit 139) on every
   * fetch given a timeout option.
   */
  public BoundedCommand.Result fetch(int port, String path) {
    return BoundedCommand.run(
        List.of(
            "ip",
            "netns",
            "exec",
            namespace,
            "busybox",
            "wget",
            "-qO-",
            "http://127.0.0.1:" + port + path),
        Duration.ofSeconds(5));
  }

  /**
   * Links the site to the root namespace by a veth pair, {@code hostAddress} on the root side and
   * {@code siteAddress} on the site side ({@code prefix} bits), as the hub's WireGuard link would:
   * the hub (this JVM, Caddy) reaches the containers at {@code siteAddress}. Deleting the namespace
   * deletes the pair.
   */
  public void link(String hostAddress, String siteAddress, int prefix) {
    String host = vethName() + "h";
    String peer = vethName() + "s";
    BoundedCommand.check(
        List.of("ip", "link", "add", host, "type", "veth", "peer", "name", peer), COMMAND_LIMIT);
    BoundedCommand.check(List.of("ip", "link", "set", peer, "netns", namespace), COMMAND_LIMIT);
    BoundedCommand.check(
        List.of("ip", "addr", "add", hostAddress + "/" + prefix, "dev", host), COMMAND_LIMIT);
    BoundedCommand.check(List.of("ip", "link", "set", host, "up"), COMMAND_LIMIT);
    BoundedCommand.check(
        List.of("ip", "-n", namespace, "addr", "add", siteAddress + "/" + prefix, "dev", peer),
        COMMAND_LIMIT);
    BoundedCommand.check(List.of("ip", "-n", namespace, "link", "set", peer, "up"), COMMAND_LIMIT);
  }

  /**
   * Cuts the site silently (its side of the link down: the hub's connections time out, nothing is
   * refused), as a site losing power or its uplink; {@link #heal} undoes it.
   */
  public void cut() {
    BoundedCommand.check(
        List.of("ip", "-n", namespace, "link", "set", vethName() + "s", "down"), COMMAND_LIMIT);
  }

  /** Brings the site's side of the link back up. */
  public void heal() {
    BoundedCommand.check(
        List.of("ip", "-n", namespace, "link", "set", vethName() + "s", "up"), COMMAND_LIMIT);
  }

  /** A veth name of at most 15 characters, unique to this site (its namespace's counter). */
  private String vethName() {
    return "sbdk" + namespace.substring(namespace.lastIndexOf('-') + 1) + "v" + (pid() % 10000);
  }

  private static long pid() {
    return ProcessHandle.current().pid();
  }

  /**
   * Stops the engine as a service manager would (SIGTERM to dockerd, which stops its containers),
   * waiting for it to exit; killed if it has not within 30 s.
   */
  public void stopEngine() {
    if (dockerd == null) {
      return;
    }
    dockerd.destroy();
    try {
      if (!dockerd.waitFor(ENGINE_STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        dockerd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      dockerd.destroyForcibly();
    }
  }

  private BoundedCommand.Result docker(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker", "-H", "unix://" + socket()));
    cmd.addAll(List.of(args));
    return BoundedCommand.run(cmd, COMMAND_LIMIT);
  }

  private String dockerChecked(String... args) {
    BoundedCommand.Result r = docker(args);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          "docker " + String.join(" ", args) + " failed (" + r.exitCode() + "):\n" + r.output());
    }
    return r.output();
  }

  @Override
  public void close() {
    cleanUp();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway, and finds everything done
    }
  }

  private synchronized void cleanUp() {
    if (closed) {
      return;
    }
    closed = true;
    // Each step runs whatever the previous one did: a failure must not leave the rest behind.
    if (dockerd != null && dockerd.isAlive()) {
      for (String c : List.copyOf(containers)) {
        quietly(() -> docker("rm", "-f", c));
      }
    }
    quietly(this::stopEngine);
    quietly(() -> removeSite(namespace, dir));
  }

  /** Kills what runs in the namespace, unmounts and deletes the folder, deletes the namespace. */
  private static void removeSite(String namespace, Path dir) {
    BoundedCommand.Result pids =
        BoundedCommand.run(List.of("ip", "netns", "pids", namespace), COMMAND_LIMIT);
    if (pids.exitCode() == 0) {
      // containerd, its shims and container processes are all in the namespace; kill them before
      // unmounting what they use.
      pids.output()
          .lines()
          .map(String::strip)
          .filter(s -> s.matches("[0-9]+"))
          .map(Long::parseLong)
          .flatMap(pid -> ProcessHandle.of(pid).stream())
          .forEach(
              p -> {
                p.destroyForcibly();
                p.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> p).join();
              });
    }
    if (dir != null) {
      unmountBelow(dir);
      deleteTree(dir);
    }
    BoundedCommand.run(List.of("ip", "netns", "del", namespace), COMMAND_LIMIT);
  }

  /** Unmounts every mount point below {@code dir}, deepest first (lazily: nothing may hold it). */
  private static void unmountBelow(Path dir) {
    List<String> points;
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      String prefix = dir.toAbsolutePath() + File.separator;
      points =
          lines
              .map(l -> l.split(" ")[4].replace("\\040", " "))
              .filter(p -> p.startsWith(prefix))
              .distinct()
              .sorted(Comparator.comparingInt(String::length).reversed())
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String p : points) {
      BoundedCommand.run(List.of("umount", "-l", p), COMMAND_LIMIT);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException("cannot delete " + p, e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Removes the namespaces and folders of this prefix whose JVM (the pid in the name) is gone: a
   * test killed before its shutdown hook ran leaves them behind. A live JVM's are not touched.
   */
  private static void removeStale() {
    BoundedCommand.Result list = BoundedCommand.run(List.of("ip", "netns", "list"), COMMAND_LIMIT);
    list.output()
        .lines()
        .map(l -> l.split(" ")[0])
        .filter(DockerSite::isStale)
        .forEach(ns -> removeSite(ns, staleFolder(ns).orElse(null)));
    try (Stream<Path> entries = Files.list(TMP)) {
      entries
          .filter(p -> isStale(p.getFileName().toString()))
          .forEach(
              p -> {
                unmountBelow(p);
                deleteTree(p);
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Path> staleFolder(String namespace) {
    try (Stream<Path> entries = Files.list(TMP)) {
      return entries
          .filter(p -> p.getFileName().toString().startsWith(namespace + "-"))
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean isStale(String name) {
    if (!name.startsWith(PREFIX)) {
      return false;
    }
    String pid = name.substring(PREFIX.length()).split("-")[0];
    return pid.matches("[0-9]+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty();
  }

  private static void quietly(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      System.err.println("docker site cleanup: " + e.getMessage());
    }
  }

  private static Optional<Path> which(String tool) {
    for (String d :
        System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      Path p = Path.of(d, tool);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
