package fr.acecinema.switchboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.LoopbackBackend;
import fr.acecinema.switchboard.testbed.OpenLoad;
import fr.acecinema.switchboard.testbed.ScratchPostgres;
import fr.acecinema.switchboard.testbed.TestbedManifests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import okhttp3.OkHttpClient;

/**
 * {@code bin/soak}: the loopback fleet (4 backends of one service, a real Caddy 2.6.2, the real
 * {@code sbctl run} jar with its records in a real PostgreSQL) under open load for a bounded time,
 * while one fault after another is injected at random: a backend killed then revived, the operator
 * killed with SIGKILL (a file edited while it is down, half the time), Caddy restarted, PostgreSQL
 * restarted (also in the middle of a backend's outage), a manifest rewritten in two chunks with a
 * pause between them. Every default is the product's. At the end it reports what the issue "lose
 * nothing, touch nothing outside" targets at zero: failed requests, lost edits, corrupted files,
 * leftover temporary files and health transitions missing from PostgreSQL.
 *
 * <p>Requests failing while Caddy itself is restarting (its listener is closed, then it runs an
 * empty config until the operator notices) are counted apart, with how long Caddy took to serve
 * again: a single Caddy cannot serve while it is down, whatever Switchboard does.
 *
 * <p>A benchmark's main, not a test: its sleeps are the fault schedule (how long a backend stays
 * dead, the pause inside a chunked write), which is the point, not a wait for a condition.
 *
 * <p>Arguments: {@code [minutes=30] [rate=100] [seed=now]}. Needs root (PostgreSQL runs as the
 * {@code postgres} user) and {@code target/switchboard.jar}.
 */
public final class SoakBenchmark {
  private static final Path JAR = Path.of("target", "switchboard.jar");
  private static final int BACKENDS = 4;
  private static final String HOST = "api.soak.test";

  private record Outage(String backend, Instant from, Instant to, boolean operatorUp) {}

  private final Random random;
  private final Path temp;
  private final Path manifests;
  private final LoopbackBackend[] backends = new LoopbackBackend[BACKENDS];
  private final int[] ports = new int[BACKENDS];
  private final int[] weights = new int[BACKENDS];
  private final List<Outage> outages = new ArrayList<>();
  private final List<long[]> caddyWindows = new ArrayList<>();
  private final Map<String, Integer> actions = new TreeMap<>();
  private final String adminListen = "127.0.0.1:" + CaddyProcess.freePort();
  private final int caddyPort = CaddyProcess.freePort();
  private final List<String> runArgs = new ArrayList<>();
  private ScratchPostgres postgres;
  private CaddyProcess caddy;
  private Process operator;
  private int operatorStarts;

  private SoakBenchmark(long seed) throws IOException {
    this.random = new Random(seed);
    this.temp = Files.createTempDirectory("sb-soak-");
    this.manifests = Files.createDirectories(temp.resolve("manifests"));
  }

  public static void main(String[] args) throws Exception {
    Duration length = Duration.ofMinutes(args.length > 0 ? Long.parseLong(args[0]) : 30);
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    long seed = args.length > 2 ? Long.parseLong(args[2]) : System.currentTimeMillis();
    if (!ScratchPostgres.available() || !Files.isRegularFile(JAR)) {
      System.err.println(
          "soak: needs Debian's postgresql-15 (apt-get install postgresql-15) and " + JAR);
      System.exit(1);
    }
    System.out.printf(
        "soak: %d min, %d requests/s, seed %d, load %s%n",
        length.toMinutes(), rate, seed, Machine.loadavg());
    SoakBenchmark soak = new SoakBenchmark(seed);
    try {
      soak.run(length, rate);
    } finally {
      soak.close();
    }
    System.exit(0); // OkHttp's and Awaitility's threads must not keep the JVM up
  }

  private void run(Duration length, int rate) throws Exception {
    for (int i = 0; i < BACKENDS; i++) {
      backends[i] = LoopbackBackend.start(name(i));
      ports[i] = backends[i].port();
      weights[i] = 5;
      Files.writeString(manifests.resolve(name(i) + ".yaml"), backendYaml(i));
    }
    Files.writeString(manifests.resolve("fleet.yaml"), fleet());
    postgres = ScratchPostgres.start();
    caddy = CaddyProcess.start(List.of(), adminListen, null);
    runArgs.addAll(
        List.of(
            "run",
            "--manifests=" + manifests,
            "--data-dir=" + temp.resolve("var"),
            "--listen=127.0.0.1:" + CaddyProcess.freePort(),
            "--database-url=" + postgres.jdbcUrl(),
            "--caddy-admin=http://" + adminListen,
            "--caddy-listen=127.0.0.1:" + caddyPort,
            "--caddy-auto-https=off",
            "--caddy-resolver=127.0.0.1:" + CaddyProcess.freePort(),
            "--kill-sockets=off",
            "--allow-subnets=127.0.0.0/24"));
    startOperator();
    OkHttpClient http = OpenLoad.client(Duration.ofSeconds(10));
    String url = "http://127.0.0.1:" + caddyPort + "/soak";
    waitUntil(Duration.ofSeconds(60), () -> served(http, url), "the service to answer");

    OpenLoad load = OpenLoad.start(http, url, HOST, rate, length.plusMinutes(1));
    long end = System.nanoTime() + length.toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(10_000 + random.nextInt(10_000));
      if (System.nanoTime() >= end) {
        break;
      }
      inject();
    }
    List<OpenLoad.Sample> samples = load.stop(Duration.ofSeconds(15));
    http.dispatcher().executorService().shutdownNow();

    boolean settled = waitUntil(Duration.ofSeconds(60), this::editsApplied, "the last edits");
    stopOperator();
    report(samples, settled);
  }

  /** One fault, chosen at random, healed before the next. */
  private void inject() throws Exception {
    int pick = random.nextInt(100);
    if (pick < 35) {
      killBackend();
    } else if (pick < 55) {
      killOperator();
    } else if (pick < 70) {
      restartCaddy();
    } else if (pick < 85) {
      count("postgres restarted");
      postgres.restart();
    } else {
      editInChunks();
    }
  }

  private void killBackend() throws Exception {
    int i = random.nextInt(BACKENDS);
    count("backend killed");
    Instant from = Instant.now();
    backends[i].close();
    Thread.sleep(2_000 + random.nextInt(3_000));
    if (random.nextInt(3) == 0) {
      // The outage's transitions must reach PostgreSQL even when it restarts in the middle.
      count("postgres restarted during a backend outage");
      postgres.restart();
    }
    Thread.sleep(2_000 + random.nextInt(3_000));
    backends[i] = revive(i);
    outages.add(new Outage(name(i), from, Instant.now(), true));
  }

  private void killOperator() throws Exception {
    count("operator killed (SIGKILL)");
    operator.destroyForcibly().waitFor();
    Thread.sleep(1_000 + random.nextInt(3_000));
    if (random.nextBoolean()) {
      editInChunks();
    }
    startOperator();
  }

  private void restartCaddy() {
    count("caddy restarted");
    long from = System.nanoTime();
    caddy.close();
    caddy = CaddyProcess.start(List.of(), adminListen, null);
    caddyWindows.add(new long[] {from, System.nanoTime()});
  }

  /**
   * Rewrites a backend's file with a new weight as a slow writer does ({@code cat x | ssh hub 'cat
   * > x'}): truncate, the first part, a pause, the rest.
   */
  private void editInChunks() throws Exception {
    int i = random.nextInt(BACKENDS);
    weights[i] = 1 + (weights[i] + random.nextInt(8)) % 9;
    count("file edited in two chunks");
    byte[] bytes = backendYaml(i).getBytes(StandardCharsets.UTF_8);
    int split = 1 + random.nextInt(bytes.length - 1);
    try (FileChannel out =
        FileChannel.open(
            manifests.resolve(name(i) + ".yaml"),
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      out.write(ByteBuffer.wrap(bytes, 0, split));
      Thread.sleep(20 + random.nextInt(300));
      out.write(ByteBuffer.wrap(bytes, split, bytes.length - split));
    }
  }

  private LoopbackBackend revive(int i) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        return LoopbackBackend.start(name(i), ports[i]);
      } catch (RuntimeException portTaken) {
        if (attempt >= 50) {
          throw portTaken;
        }
        Thread.sleep(100);
      }
    }
  }

  private void startOperator() throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-jar",
                JAR.toAbsolutePath().toString()));
    command.addAll(runArgs);
    Path log = temp.resolve("operator-" + ++operatorStarts + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    operator = pb.redirectOutput(log.toFile()).start();
    boolean up =
        waitUntil(
            Duration.ofSeconds(60),
            () -> Files.readString(log).contains("API listening"),
            "the operator to start");
    if (!up) {
      throw new IllegalStateException("the operator did not start; see " + log);
    }
  }

  private void stopOperator() throws InterruptedException {
    operator.destroy(); // SIGTERM: the graceful path a service manager takes
    if (!operator.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      operator.destroyForcibly().waitFor();
    }
  }

  /** Every backend file holds the last weight written, and its status says it was read. */
  private boolean editsApplied() throws IOException {
    for (int i = 0; i < BACKENDS; i++) {
      JsonNode doc = readBackend(i);
      if (doc == null
          || doc.at("/spec/weight").asInt() != weights[i]
          || !ready(doc, doc.at("/status/observedGeneration").asLong(-1))) {
        return false;
      }
    }
    return true;
  }

  private static boolean ready(JsonNode doc, long observed) {
    for (JsonNode c : doc.at("/status/conditions")) {
      if ("Ready".equals(c.path("type").asText()) && observed >= 0) {
        return true;
      }
    }
    return false;
  }

  private JsonNode readBackend(int i) throws IOException {
    ParsedFile file =
        new ManifestParser().parse(Files.readString(manifests.resolve(name(i) + ".yaml")));
    if (file.error().isPresent() || file.documents().size() != 1) {
      return null;
    }
    ParsedDocument d = file.documents().get(0);
    return d.problem().isPresent() ? null : d.document();
  }

  private void report(List<OpenLoad.Sample> samples, boolean settled) throws Exception {
    int failed = 0;
    int duringCaddyRestart = 0;
    Map<String, Integer> causes = new TreeMap<>();
    List<Long> caddyBackMillis = new ArrayList<>();
    for (long[] w : caddyWindows) {
      // Caddy serves again at the first success started after it was restarted.
      long back =
          samples.stream()
              .filter(s -> s.start() > w[1] && !s.failed())
              .mapToLong(OpenLoad.Sample::start)
              .min()
              .orElse(Long.MAX_VALUE);
      w[1] = back;
      caddyBackMillis.add(back == Long.MAX_VALUE ? -1 : (back - w[0]) / 1_000_000);
    }
    for (OpenLoad.Sample s : samples) {
      if (!s.failed()) {
        continue;
      }
      boolean inWindow = caddyWindows.stream().anyMatch(w -> s.end() >= w[0] && s.start() <= w[1]);
      if (inWindow) {
        duringCaddyRestart++;
      } else {
        failed++;
        causes.merge(s.code() + " " + s.backend(), 1, Integer::sum);
      }
    }
    int lostEdits = 0;
    int corrupted = 0;
    for (int i = 0; i < BACKENDS; i++) {
      JsonNode doc = readBackend(i);
      if (doc == null
          || !"Backend".equals(doc.path("kind").asText())
          || doc.at("/spec/port").asInt() != ports[i]
          || !name(i).equals(doc.at("/metadata/name").asText())) {
        corrupted++;
      } else if (doc.at("/spec/weight").asInt() != weights[i]) {
        lostEdits++;
      }
    }
    List<String> leftovers;
    try (var files = Files.list(manifests)) {
      leftovers =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.endsWith(".yaml"))
              .sorted()
              .toList();
    }
    int missingRecords = missingTransitions();

    System.out.printf("%nsoak: faults injected %s%n", actions);
    System.out.printf(
        "soak: %d requests; failed %d %s; failed while Caddy restarted %d (Caddy serving again"
            + " after %s ms)%n",
        samples.size(), failed, causes, duringCaddyRestart, caddyBackMillis);
    System.out.printf(
        "soak: lost edits %d, corrupted files %d, leftover files %s, health transitions missing"
            + " from PostgreSQL %d, last edits applied %s%n",
        lostEdits, corrupted, leftovers, missingRecords, settled ? "yes" : "NO (60 s)");
    System.out.printf(
        "soak: operator starts %d, load after %s%n", operatorStarts, Machine.loadavg());
    System.out.printf(
        "soak: %s%n",
        failed + lostEdits + corrupted + leftovers.size() + missingRecords == 0 && settled
            ? "PASS (all zero)"
            : "FAIL");
  }

  /**
   * Backend outages of at least 3 s whose down and up transitions are not both in PostgreSQL's
   * health history (the operator's verdict comes within a second; the records may be written later,
   * after a database restart, but never lost).
   */
  private int missingTransitions() {
    int missing = 0;
    try (Database db = Database.open(postgres.jdbcUrl(), temp.resolve("var"))) {
      RecordsRepository repo = new RecordsRepository(db);
      for (Outage o : outages) {
        if (Duration.between(o.from(), o.to()).toSeconds() < 3) {
          continue;
        }
        List<HealthTransition> history = repo.healthHistory(o.backend(), 100_000);
        boolean down =
            history.stream()
                .anyMatch(
                    t ->
                        !"Healthy".equals(t.toState())
                            && within(t.at(), o.from().minusSeconds(1), o.to().plusSeconds(3)));
        boolean up =
            history.stream()
                .anyMatch(
                    t ->
                        "Healthy".equals(t.toState())
                            && within(t.at(), o.to().minusSeconds(1), o.to().plusSeconds(15)));
        if (!down || !up) {
          System.out.printf(
              "soak: outage of %s %s..%s: down recorded %s, up recorded %s%n",
              o.backend(), o.from(), o.to(), down, up);
          missing++;
        }
      }
    }
    return missing;
  }

  private static boolean within(Instant t, Instant from, Instant to) {
    return !t.isBefore(from) && !t.isAfter(to);
  }

  private void count(String action) {
    actions.merge(action, 1, Integer::sum);
    System.out.printf("soak: %s %s%n", Instant.now(), action);
  }

  private boolean served(OkHttpClient http, String url) {
    try (var r =
        http.newCall(new okhttp3.Request.Builder().url(url).header("Host", HOST).build())
            .execute()) {
      return r.code() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static boolean waitUntil(Duration limit, Check check, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) {
          return true;
        }
      } catch (Exception notYet) {
        // a file being rewritten, a port not yet open: asked again below
      }
      Thread.sleep(200);
    }
    System.out.printf("soak: gave up waiting for %s after %s%n", what, limit);
    return false;
  }

  private static String name(int i) {
    return "b" + (i + 1);
  }

  private String backendYaml(int i) {
    return TestbedManifests.backend(name(i), "api", "local", "127.0.0.1", ports[i], weights[i], "");
  }

  private static String fleet() {
    return "apiVersion: switchboard.acecinema.fr/v1alpha1\nkind: Site\nmetadata: {name: local}\n"
        + "spec: {subnet: 127.0.0.0/24}\n---\n"
        + TestbedManifests.service("api", HOST, "  healthCheck: {path: /health}");
  }

  private void close() {
    if (operator != null && operator.isAlive()) {
      operator.destroyForcibly();
    }
    for (LoopbackBackend b : backends) {
      try {
        b.close();
      } catch (RuntimeException alreadyStoppedOrNull) {
        // a backend killed when the soak was interrupted
      }
    }
    if (caddy != null) {
      caddy.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    // The operator's logs are kept for a post-mortem; the rest goes.
    try (var files = Files.walk(temp)) {
      Path keep = Files.createDirectories(Path.of("target", "soak-logs"));
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        if (f.getFileName().toString().startsWith("operator-")) {
          Files.copy(
              f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        f.toFile().delete();
      }
    } catch (IOException e) {
      System.err.println("soak: could not clean " + temp + ": " + e.getMessage());
    }
  }
}
