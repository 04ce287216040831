package fr.acecinema.switchboard.bench;

import com.sun.management.OperatingSystemMXBean;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.probe.ProbeListener;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.ProbeTarget;
import fr.acecinema.switchboard.probe.Prober;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;

/**
 * Measures what probing 1,000 HTTP backends every second costs the hub: probes/s, probe latency
 * p50/p99, the prober's CPU as % of one core and its heap.
 *
 * <p>The backends are real JDK HttpServers, one per port, spread over 127.0.1.1-127.0.1.10, run in
 * a child JVM so their CPU and heap are not counted as the prober's. A 10 s warm-up scheduler runs
 * first (JIT, connections), then a fresh scheduler is measured; every phase is bounded and the
 * child dies with the parent (it exits when its stdin closes, or after its own deadline).
 *
 * <p>Run: {@code bin/bench probe [backends=1000] [seconds=60] [intervalMs=1000]} (builds what it
 * needs, runs with {@code -Xmx256m}, prints the machine's load; docs/performance.md).
 */
public final class ProbeBenchmark {
  private static final int ADDRESSES = 10;
  private static final Duration WARM_UP = Duration.ofSeconds(10);

  private ProbeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int backends = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    long intervalMs = args.length > 2 ? Long.parseLong(args[2]) : 1000;
    if (backends < 1 || backends > 5000 || seconds < 5 || seconds > 600 || intervalMs < 100) {
      throw new IllegalArgumentException(
          "want 1-5000 backends, 5-600 seconds, interval >= 100 ms; got " + String.join(" ", args));
    }
    Process child = startBackends(backends, seconds);
    try {
      List<InetSocketAddress> endpoints = readEndpoints(child, backends);
      run(endpoints, seconds, intervalMs, child);
    } finally {
      child.getOutputStream().close();
      child.destroy();
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
  }

  private static void run(
      List<InetSocketAddress> endpoints, int seconds, long intervalMs, Process child)
      throws Exception {
    OkHttpClient shared = new OkHttpClient();
    Prober prober = new Prober(shared);
    ResolvedHealthCheck check =
        new ResolvedHealthCheck(
            HealthCheck.Type.HTTP,
            "/health",
            Duration.ofMillis(intervalMs),
            Duration.ofMillis(Math.min(1000, intervalMs)),
            2,
            2,
            "200-399",
            "ok");

    System.out.printf(
        "warm-up: %d backends, %d s, interval %d ms%n",
        endpoints.size(), WARM_UP.toSeconds(), intervalMs);
    try (ProbeScheduler warm = new ProbeScheduler(prober, (k, s, c) -> {})) {
      schedule(warm, endpoints, check);
      waitFor(WARM_UP);
    }

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // One timer over all backends, with percentiles: the production timers stay cheap.
    registry.config().meterFilter(MeterFilter.ignoreTags("backend"));
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public DistributionStatisticConfig configure(
                  Meter.Id id, DistributionStatisticConfig config) {
                return DistributionStatisticConfig.builder()
                    .percentiles(0.5, 0.99)
                    .percentilePrecision(2)
                    .expiry(Duration.ofSeconds(seconds + 60L))
                    .bufferLength(1)
                    .build()
                    .merge(config);
              }
            });
    AtomicLong successes = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    ProbeListener counting =
        (k, s, c) -> {
          if (s.lastError() == null) {
            successes.incrementAndGet();
          } else {
            failures.incrementAndGet();
            errors.computeIfAbsent(s.lastError(), e -> new AtomicLong()).incrementAndGet();
          }
        };

    OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
    List<MemoryPoolMXBean> heapPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    System.out.printf("measuring: %d s%n", seconds);
    try (ProbeScheduler scheduler = new ProbeScheduler(prober, counting, registry)) {
      schedule(scheduler, endpoints, check);
      // The first interval is the jittered ramp-up; count from its end.
      waitFor(Duration.ofMillis(intervalMs));
      heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
      long probes0 = successes.get() + failures.get();
      long cpu0 = os.getProcessCpuTime();
      long[] userSys0 = userAndSystemTicks();
      long childCpu0 = cpuNanos(child);
      long wall0 = System.nanoTime();
      waitFor(Duration.ofSeconds(seconds));
      long wall = System.nanoTime() - wall0;
      long cpu = os.getProcessCpuTime() - cpu0;
      long[] userSys1 = userAndSystemTicks();
      long childCpu = cpuNanos(child) - childCpu0;
      long probes = successes.get() + failures.get() - probes0;
      long peakHeap = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      System.gc();
      long heapAfterGc = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long heapMax = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();

      Timer ok = registry.find(ProbeScheduler.LATENCY_METRIC).tag("result", "success").timer();
      System.out.println("---- ProbeBenchmark results ----");
      System.out.printf(
          "backends %d, interval %d ms, measured %.1f s, JDK %s, %d cores%n",
          endpoints.size(),
          intervalMs,
          wall / 1e9,
          Runtime.version(),
          Runtime.getRuntime().availableProcessors());
      System.out.printf(
          "probes/s %.1f (expected %.1f), successes %d, failures %d%n",
          probes / (wall / 1e9),
          endpoints.size() * 1000.0 / intervalMs,
          successes.get(),
          failures.get());
      errors.forEach((e, n) -> System.out.printf("  error x%d: %s%n", n.get(), e));
      if (ok != null) {
        for (ValueAtPercentile p : ok.takeSnapshot().percentileValues()) {
          System.out.printf(
              "latency p%.0f %.2f ms%n",
              p.percentile() * 100, p.value(TimeUnit.MICROSECONDS) / 1000);
        }
        System.out.printf("latency max %.2f ms%n", ok.max(TimeUnit.MICROSECONDS) / 1000);
      }
      System.out.printf("prober CPU %.1f %% of one core%n", 100.0 * cpu / wall);
      if (userSys0 != null && userSys1 != null) {
        long user = userSys1[0] - userSys0[0];
        long system = userSys1[1] - userSys0[1];
        System.out.printf(
            "  of which user %.0f %%, kernel %.0f %% (/proc/self/stat)%n",
            100.0 * user / Math.max(1, user + system), 100.0 * system / Math.max(1, user + system));
      }
      System.out.printf(
          "backends' CPU (child JVM, not counted above) %.1f %% of one core%n",
          100.0 * childCpu / wall);
      System.out.printf(
          "heap used after GC %.1f MiB, peak used %.1f MiB, max %.0f MiB%n",
          heapAfterGc / 1048576.0, peakHeap / 1048576.0, heapMax / 1048576.0);
      System.out.printf("live threads (platform) %d%n", Thread.activeCount());
    }
  }

  private static void schedule(
      ProbeScheduler scheduler, List<InetSocketAddress> endpoints, ResolvedHealthCheck check) {
    for (int i = 0; i < endpoints.size(); i++) {
      InetSocketAddress e = endpoints.get(i);
      scheduler.ensure(
          new ResourceKey("Backend", "bench-" + i),
          new ProbeTarget(e.getAddress().getHostAddress(), e.getPort(), check));
    }
  }

  /** Waits without busy-looping; a benchmark, not a test, so a plain timed wait is right. */
  private static void waitFor(Duration d) throws InterruptedException {
    Thread.sleep(d);
  }

  /** utime and stime of this process in clock ticks (Linux), or null elsewhere. */
  private static long[] userAndSystemTicks() {
    try {
      String stat = java.nio.file.Files.readString(Path.of("/proc/self/stat"));
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long cpuNanos(Process p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static Process startBackends(int backends, int seconds) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Bounded even if this process is killed hard: the child gives up after its own deadline.
    long deadline = WARM_UP.toSeconds() + seconds + 120;
    return new ProcessBuilder(
            java,
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            Backends.class.getName(),
            Integer.toString(backends),
            Long.toString(deadline))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  private static List<InetSocketAddress> readEndpoints(Process child, int backends)
      throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    List<InetSocketAddress> endpoints = new ArrayList<>(backends);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("READY")) {
        return endpoints;
      }
      String[] parts = line.split(" ");
      endpoints.add(
          new InetSocketAddress(InetAddress.getByName(parts[0]), Integer.parseInt(parts[1])));
    }
    throw new IOException("backend process ended before READY; see its stderr above");
  }

  /** The child process: {@code backends} HTTP servers answering 200 "ok" on loopback. */
  public static final class Backends {
    private Backends() {}

    public static void main(String[] args) throws Exception {
      int count = Integer.parseInt(args[0]);
      long deadlineSeconds = Long.parseLong(args[1]);
      ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
      byte[] ok = "ok".getBytes(StandardCharsets.US_ASCII);
      List<HttpServer> servers = new ArrayList<>(count);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < count; i++) {
        InetAddress address = InetAddress.getByName("127.0.1." + (1 + i % ADDRESSES));
        HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), 128);
        server.createContext(
            "/",
            exchange -> {
              try (exchange) {
                exchange.sendResponseHeaders(200, ok.length);
                exchange.getResponseBody().write(ok);
              }
            });
        server.setExecutor(handlers);
        server.start();
        servers.add(server);
        out.append(address.getHostAddress())
            .append(' ')
            .append(server.getAddress().getPort())
            .append('\n');
      }
      System.out.print(out);
      System.out.println("READY");
      System.out.flush();
      Thread watchdog =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      Thread.sleep(Duration.ofSeconds(deadlineSeconds));
                    } catch (InterruptedException e) {
                      return;
                    }
                    System.err.println("backends: deadline reached, exiting");
                    System.exit(2);
                  });
      // Parent gone or done: stdin reaches EOF.
      while (System.in.read() >= 0) {
        // ignore input
      }
      watchdog.interrupt();
      servers.forEach(s -> s.stop(0));
      System.exit(0);
    }
  }
}
