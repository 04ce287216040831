package fr.acecinema.switchboard.it;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.bench.Machine;
import fr.acecinema.switchboard.caddy.DnsWire;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * WebSocket survival (issue 8): N WebSockets through a real Caddy 2.6.2 to one echo backend, while
 * a scripted series of changes to <em>other</em> backends runs; after each change (once the
 * resolver's answer or Caddy's config shows it), one message round-trips on every stream. Counts,
 * per change kind, the streams kept and lost, Switchboard's Caddy pushes ({@code
 * switchboard.caddy.pushes result=success}) and Caddy's config loads (its log). A lost stream is
 * replaced, so every change starts with N open streams.
 *
 * <p>Two arms on the same operator and Caddy: {@code switchboard} (as shipped: health, weights,
 * drain and maintenance reach Caddy through the resolver) and {@code reload/change}, the old
 * behaviour: the same changes, each followed by a forced reload of the identical config ({@code
 * POST /load} with {@code Cache-Control: must-revalidate}, which Caddy 2.6.2 reloads anyway).
 * Adding and removing a whole other Service changes the route list, which needs a reload in 2.6.2:
 * reported on lines of their own. Last, the echo backend dies: how long until every stream ended.
 *
 * <p>Loopback only (127.0.0.1, 127.0.40-41.x); every wait is bounded; Caddy, the operator, the
 * backends and the temp directory are removed in {@code finally}. Run (repository root):
 *
 * <pre>
 * export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
 * mvn -B -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * $JAVA_HOME/bin/java -Xmx512m -cp target/test-classes:target/classes:$(cat target/test.classpath) \
 *     fr.acecinema.switchboard.it.WebSocketSurvivalBenchmark [streams=50] [rounds=3]
 * </pre>
 */
public final class WebSocketSurvivalBenchmark implements AutoCloseable {
  private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(15);
  private static final Duration ROUND_TRIP_WITHIN = Duration.ofSeconds(3);
  private static final String OTHER_ROUTE = "switchboard-route-other";

  private final Path dir;
  private final int streamCount;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final OkHttpClient client;
  private final int caddyPort = CaddyProcess.freePort();
  private CaddyProcess caddy;
  private Switchboard operator;
  private WebSocketEcho echo;
  private final List<Ws> streams = new ArrayList<>();
  private int opened;
  private final Map<String, Integer> endings = new java.util.concurrent.ConcurrentSkipListMap<>();

  // The other service's backends and what the resolver must answer for them (the model).
  private RoutedBackend a1;
  private RoutedBackend a2;
  private RoutedBackend b1;
  private RoutedBackend a3;
  private RoutedBackend o1;
  private boolean a1Drained;
  private boolean a2Up = true;
  private int b1Weight = 1;
  private boolean a3Present;
  private boolean siteBMaintenance;

  /** Figures of one change kind in one arm. */
  private static final class Row {
    int times;
    int kept;
    int lost;
    double pushes;
    long loads;
    long visibleMaxMs;
    int notVisible;
  }

  /** A scripted change: what it does, and when it is visible. */
  private record Change(String name, Runnable apply, BooleanSupplier visible, boolean newService) {}

  private WebSocketSurvivalBenchmark(Path dir, int streamCount) {
    this.dir = dir;
    this.streamCount = streamCount;
    okhttp3.Dispatcher d = new okhttp3.Dispatcher();
    d.setMaxRequests(streamCount + 64);
    d.setMaxRequestsPerHost(streamCount + 64);
    client =
        new OkHttpClient.Builder()
            .dispatcher(d)
            .callTimeout(Duration.ofSeconds(10))
            .retryOnConnectionFailure(true)
            .build();
  }

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    if (streams < 1 || streams > 1000 || rounds < 1 || rounds > 20) {
      throw new IllegalArgumentException("want 1-1000 streams and 1-20 rounds");
    }
    String loadBefore = Machine.loadavg();
    long started = System.nanoTime();
    Path dir = Files.createTempDirectory("sb-ws-bench-");
    int exit = 0;
    try (WebSocketSurvivalBenchmark b = new WebSocketSurvivalBenchmark(dir, streams)) {
      b.setUp();
      Map<String, Row> sb = b.arm(rounds, false);
      Map<String, Row> reload = b.arm(rounds, true);
      long[] endedMs = b.ownBackendDies();
      System.out.println();
      System.out.printf(
          "WebSocket survival: %d streams, %d round(s), one round trip per stream after each"
              + " change%n",
          streams, rounds);
      System.out.printf(
          "%-14s %-22s %5s %7s %7s %7s %6s %11s%n",
          "arm", "change", "times", "kept", "lost", "pushes", "loads", "visible ms");
      print("switchboard", sb);
      print("reload/change", reload);
      summary("switchboard", sb);
      summary("reload/change", reload);
      System.out.printf(
          "own backend killed: %d of %d streams ended, p50 %d ms, max %d ms after the kill%n",
          endedMs.length, b.streams.size(), percentile(endedMs, 50), percentile(endedMs, 100));
      System.out.printf(
          "streams opened in all (replacements included): %d; how lost streams ended: %s%n",
          b.opened, b.endings);
    } catch (RuntimeException | Error e) {
      e.printStackTrace();
      exit = 1;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.printf(
        "machine: nproc %d, loadavg before %s, after %s; %d s%n",
        Runtime.getRuntime().availableProcessors(),
        loadBefore,
        Machine.loadavg(),
        (System.nanoTime() - started) / 1_000_000_000L);
    System.exit(exit);
  }

  private static void print(String arm, Map<String, Row> rows) {
    rows.forEach(
        (change, r) ->
            System.out.printf(
                "%-14s %-22s %5d %7d %7d %7.0f %6d %11s%n",
                arm,
                change,
                r.times,
                r.kept,
                r.lost,
                r.pushes,
                r.loads,
                r.notVisible > 0 ? r.notVisible + " never" : "max " + r.visibleMaxMs));
  }

  private static void summary(String arm, Map<String, Row> rows) {
    int[] unrelated = new int[2];
    int[] service = new int[2];
    double[] pushes = new double[2];
    rows.forEach(
        (change, r) -> {
          int i = change.startsWith("service ") ? 1 : 0;
          int[] into = i == 1 ? service : unrelated;
          into[0] += r.kept;
          into[1] += r.lost;
          pushes[i] += r.pushes;
        });
    System.out.printf(
        "%s: unrelated changes %d kept / %d lost, %.0f pushes; other Service added+removed %d"
            + " kept / %d lost, %.0f pushes%n",
        arm, unrelated[0], unrelated[1], pushes[0], service[0], service[1], pushes[1]);
  }

  // --- set-up

  private void setUp() throws IOException {
    write(
        "sites.yaml",
        RouterIT.site("site-a", "127.0.40.0/24", 10, false)
            + "---\n"
            + RouterIT.site("site-b", "127.0.41.0/24", 20, false));
    caddy = CaddyProcess.startOnLoopback(null);
    echo = new WebSocketEcho("127.0.40.4");
    closeables.add(echo);
    a1 = backend("a1", "127.0.40.2");
    a2 = backend("a2", "127.0.40.3");
    b1 = backend("b1", "127.0.41.2");
    a3 = backend("a3", "127.0.40.9");
    o1 = backend("o1", "127.0.40.20");
    write(
        "ws.yaml",
        RouterIT.service("ws", "ws.test", null, null, null).replace("path: /health", "type: tcp")
            + RouterIT.be("ws1", "ws", "site-a", "127.0.40.4", echo.port(), 1));
    write("api.yaml", RouterIT.service("api", "api.test", null, null, null));
    writeA1();
    writeA2();
    writeB1();
    operator =
        Switchboard.start(
            OperatorSettings.forDirectory(dir)
                // The fleet lives on loopback, refused as a Site subnet unless allowed.
                .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
                .withResync(Duration.ofSeconds(2))
                .withRouting(
                    RouterSettings.caddy(caddy.adminUrl(), List.of("127.0.0.1:" + caddyPort), false)
                        .withResolver("127.0.0.1:0", Duration.ofMillis(100))
                        .withDriftCheck(Duration.ofSeconds(1))),
            meters);
    if (!waitFor(
        () -> routed("ws") && answer("ws").size() == 1 && apiAsModelled(), VISIBLE_WITHIN)) {
      throw new IllegalStateException(
          "routes not ready in " + VISIBLE_WITHIN + ": api " + answer("api"));
    }
    // Idle but for the periodic drift check: no debounced push pending.
    waitFor(
        () -> operator.runtime().idle(RouterSettings.disabled().debounce()), Duration.ofSeconds(5));
  }

  private RoutedBackend backend(String name, String address) throws IOException {
    RoutedBackend b = new RoutedBackend(name, address);
    closeables.add(b);
    return b;
  }

  private void writeA1() {
    write(
        "a1.yaml",
        RouterIT.be("a1", "api", "site-a", a1, 1) + (a1Drained ? "  drain: true\n" : ""));
  }

  private void writeA2() {
    write("a2.yaml", RouterIT.be("a2", "api", "site-a", a2, 1));
  }

  private void writeB1() {
    write("b1.yaml", RouterIT.be("b1", "api", "site-b", b1, b1Weight));
  }

  private void writeSites() {
    write(
        "sites.yaml",
        RouterIT.site("site-a", "127.0.40.0/24", 10, false)
            + "---\n"
            + RouterIT.site("site-b", "127.0.41.0/24", 20, siteBMaintenance));
  }

  /** One round's script: every change undone by the next, so each round starts alike. */
  private List<Change> script() {
    BooleanSupplier api = this::apiAsModelled;
    return List.of(
        new Change("drain a1", () -> set(() -> a1Drained = true, this::writeA1), api, false),
        new Change("undrain a1", () -> set(() -> a1Drained = false, this::writeA1), api, false),
        new Change("a2 killed", () -> set(() -> a2Up = false, a2::stop), api, false),
        new Change("a2 restarted", () -> set(() -> a2Up = true, () -> restart(a2)), api, false),
        new Change("b1 weight 1->5", () -> set(() -> b1Weight = 5, this::writeB1), api, false),
        new Change("b1 weight 5->1", () -> set(() -> b1Weight = 1, this::writeB1), api, false),
        new Change(
            "a3 added",
            () ->
                set(
                    () -> a3Present = true,
                    () -> write("a3.yaml", RouterIT.be("a3", "api", "site-a", a3, 1))),
            api,
            false),
        new Change(
            "a3 removed", () -> set(() -> a3Present = false, () -> delete("a3.yaml")), api, false),
        new Change(
            "site-b maint. on",
            () -> set(() -> siteBMaintenance = true, this::writeSites),
            api,
            false),
        new Change(
            "site-b maint. off",
            () -> set(() -> siteBMaintenance = false, this::writeSites),
            api,
            false),
        new Change(
            "service added",
            () ->
                write(
                    "other.yaml",
                    RouterIT.service("other", "other.test", null, null, null)
                        + RouterIT.be("o1", "other", "site-a", o1, 1)),
            () -> caddyConfig().contains(OTHER_ROUTE),
            true),
        new Change(
            "service removed",
            () -> delete("other.yaml"),
            () -> !caddyConfig().contains(OTHER_ROUTE),
            true));
  }

  private static void set(Runnable model, Runnable action) {
    model.run();
    action.run();
  }

  // --- the arms

  /** Runs {@code rounds} rounds of the script; figures per change kind. */
  private Map<String, Row> arm(int rounds, boolean reloadPerChange) {
    String arm = reloadPerChange ? "reload/change" : "switchboard";
    Map<String, Row> rows = new LinkedHashMap<>();
    topUpStreams();
    for (int round = 1; round <= rounds; round++) {
      for (Change change : script()) {
        Row row = rows.computeIfAbsent(change.name(), k -> new Row());
        double pushesBefore = pushes();
        long loadsBefore = configLoads();
        long t0 = System.nanoTime();
        change.apply().run();
        if (waitFor(change.visible(), VISIBLE_WITHIN)) {
          row.visibleMaxMs = Math.max(row.visibleMaxMs, (System.nanoTime() - t0) / 1_000_000);
        } else {
          row.notVisible++;
        }
        if (reloadPerChange) {
          forceReload();
        }
        int open = streams.size();
        int kept = roundTrips(arm + " r" + round + " " + change.name());
        waitFor(
            () -> operator.runtime().idle(RouterSettings.disabled().debounce()),
            Duration.ofSeconds(5));
        row.times++;
        row.kept += kept;
        row.lost += open - kept;
        row.pushes += pushes() - pushesBefore;
        row.loads += configLoads() - loadsBefore;
        System.out.printf(
            "%s round %d %-18s kept %d/%d, %d ms%n",
            arm, round, change.name(), kept, open, (System.nanoTime() - t0) / 1_000_000);
        topUpStreams();
      }
    }
    return rows;
  }

  /** Caddy 2.6.2 reloads an identical config when asked with {@code must-revalidate}. */
  private void forceReload() {
    String config = caddyConfig("/config/");
    Request post =
        new Request.Builder()
            .url(caddy.adminUrl() + "/load")
            .header("Cache-Control", "must-revalidate")
            .post(RequestBody.create(config, MediaType.get("application/json")))
            .build();
    try (Response r = client.newCall(post).execute()) {
      if (r.code() != 200) {
        throw new IllegalStateException(
            "forced reload: HTTP " + r.code() + " " + r.body().string());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One message on every stream; the number answered. Lost streams are dropped here. */
  private int roundTrips(String tag) {
    List<Ws> sent = new ArrayList<>();
    for (Ws s : streams) {
      if (s.send(tag)) {
        sent.add(s);
      }
    }
    long deadline = System.nanoTime() + ROUND_TRIP_WITHIN.toNanos();
    int kept = 0;
    for (Ws s : sent) {
      if (s.awaitEcho(tag, deadline)) {
        kept++;
      }
    }
    List<Ws> lost = streams.stream().filter(s -> !s.alive).toList();
    lost.forEach(Ws::cancel);
    streams.removeAll(lost);
    return kept;
  }

  /** Opens streams until there are N (bounded: 3 attempts per missing stream). */
  private void topUpStreams() {
    for (int attempt = 0; attempt < 3 && streams.size() < streamCount; attempt++) {
      List<Ws> fresh = new ArrayList<>();
      for (int i = streams.size(); i < streamCount; i++) {
        fresh.add(new Ws(opened++));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      for (Ws s : fresh) {
        if (s.awaitOpen(deadline)) {
          streams.add(s);
        } else {
          s.cancel();
        }
      }
    }
    if (streams.size() < streamCount) {
      throw new IllegalStateException(
          "could open only " + streams.size() + " of " + streamCount + " WebSockets");
    }
  }

  /** Kills the echo backend; per stream, ms until it ended (streams that did not end: absent). */
  private long[] ownBackendDies() throws IOException {
    long killedAt = System.nanoTime();
    echo.kill();
    long deadline = killedAt + TimeUnit.SECONDS.toNanos(10);
    List<Long> ms = new ArrayList<>();
    for (Ws s : streams) {
      Long endedAt = s.awaitEnd(deadline);
      if (endedAt != null) {
        ms.add((endedAt - killedAt) / 1_000_000);
      }
    }
    return ms.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** One WebSocket through Caddy to the echo backend. */
  private final class Ws {
    final int index;
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final WebSocket socket;
    volatile boolean alive = true;
    volatile long endedAt;

    Ws(int index) {
      this.index = index;
      socket =
          client.newWebSocket(
              new Request.Builder()
                  .url("ws://127.0.0.1:" + caddyPort + "/echo")
                  .header("Host", "ws.test")
                  .build(),
              new WebSocketListener() {
                @Override
                public void onOpen(WebSocket s, Response response) {
                  events.add("open");
                }

                @Override
                public void onMessage(WebSocket s, String text) {
                  events.add("msg " + text);
                }

                @Override
                public void onClosing(WebSocket s, int code, String reason) {
                  ended("closed by Caddy, code " + code);
                  s.close(1000, null); // completes the close handshake; OkHttp then frees it
                }

                @Override
                public void onFailure(WebSocket s, Throwable t, Response response) {
                  ended("failed: " + t.getClass().getSimpleName());
                }
              });
    }

    private void ended(String why) {
      if (endedAt == 0) {
        endedAt = System.nanoTime();
        endings.merge(why, 1, Integer::sum);
      }
      alive = false;
      events.add("end " + why);
    }

    boolean awaitOpen(long deadline) {
      String e = next(deadline);
      return "open".equals(e);
    }

    boolean send(String tag) {
      if (!alive || !socket.send(index + " " + tag)) {
        alive = false;
        return false;
      }
      return true;
    }

    /** True when the echo of {@code tag} came back before {@code deadline}. */
    boolean awaitEcho(String tag, long deadline) {
      String want = "msg echo: " + index + " " + tag;
      for (String e = next(deadline); e != null; e = next(deadline)) {
        if (e.equals(want)) {
          return true;
        }
        if (e.startsWith("end ")) {
          return false;
        }
      }
      ended("no echo within " + ROUND_TRIP_WITHIN.toMillis() + " ms");
      return false;
    }

    Long awaitEnd(long deadline) {
      for (String e = next(deadline); e != null; e = next(deadline)) {
        if (e.startsWith("end ")) {
          return endedAt;
        }
      }
      return null;
    }

    private String next(long deadline) {
      try {
        return events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    void cancel() {
      alive = false;
      socket.cancel();
    }
  }

  // --- what Switchboard and Caddy show

  /** The resolver's answer for api is what the model says (weight copies over their gcd). */
  private boolean apiAsModelled() {
    List<RoutedBackend> live = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    if (!a1Drained) {
      live.add(a1);
      weights.add(1);
    }
    if (a2Up) {
      live.add(a2);
      weights.add(1);
    }
    if (!siteBMaintenance) {
      live.add(b1);
      weights.add(b1Weight);
    }
    if (a3Present) {
      live.add(a3);
      weights.add(1);
    }
    int g =
        weights.stream()
            .reduce(0, (x, y) -> BigInteger.valueOf(x).gcd(BigInteger.valueOf(y)).intValue());
    List<String> want = new ArrayList<>();
    for (int i = 0; i < live.size(); i++) {
      for (int c = 0; c < weights.get(i) / g; c++) {
        want.add(UpstreamResolver.hostName(live.get(i).address) + ":" + live.get(i).port());
      }
    }
    List<String> got =
        new ArrayList<>(answer("api").stream().map(r -> r.target() + ":" + r.port()).toList());
    want.sort(null);
    got.sort(null);
    return want.equals(got);
  }

  private List<DnsWire.Srv> answer(String service) {
    return RouterIT.answer(operator, service);
  }

  private boolean routed(String service) {
    return caddyConfig().contains("switchboard-route-" + service);
  }

  private String caddyConfig() {
    return caddyConfig("/config/apps/http/servers/switchboard");
  }

  private String caddyConfig(String path) {
    try (Response r =
        client.newCall(new Request.Builder().url(caddy.adminUrl() + path).build()).execute()) {
      return r.body().string();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Configs Caddy has run since it started, the first one included: every successful load starts
   * the TLS app's certificate maintenance, logged at INFO ({@link CaddyProcess#reloads} needs the
   * DEBUG log).
   */
  private long configLoads() {
    try (Stream<String> lines = Files.lines(caddy.logFile())) {
      return lines.filter(l -> l.contains("\"started background certificate maintenance")).count();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  private double pushes() {
    Counter c = meters.find("switchboard.caddy.pushes").tag("result", "success").counter();
    return c == null ? 0 : c.count();
  }

  // --- helpers

  /** Polls every 20 ms until {@code condition} holds or {@code within} passed. */
  private static boolean waitFor(BooleanSupplier condition, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(20); // polling another thread's and another process's progress
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(sorted.length * p / 100.0) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static void restart(RoutedBackend b) {
    try {
      b.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void delete(String name) {
    try {
      Files.deleteIfExists(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(String name, String text) {
    try {
      Path p = dir.resolve(name);
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    streams.forEach(Ws::cancel);
    if (operator != null) {
      operator.close();
    }
    for (AutoCloseable c : closeables.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
    if (caddy != null) {
      caddy.close();
    }
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
  }
}
