package fr.acecinema.switchboard.bench;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures, through the real operator on a temporary directory: (a) the latency from saving a
 * manifest to its status being written back into that file (a status whose {@code
 * observedGeneration} is the new generation), p50/p99 over N edits, and (b) with many resources,
 * the cold start: operator start until every Backend's file holds a status (its first, truthful
 * one: probe pending or done), and until every one says Ready=True.
 *
 * <p>The fleet: one Site (127.0.1.0/24), 50 Services, {@code backends - 1} Backends spread over the
 * Services' files (20 per file) plus the edited Backend in a file of its own. The backends are
 * {@link ProbeBenchmark.Backends}, real JDK HttpServers in a child JVM on 127.0.1.1-10 (their CPU
 * is not the operator's). Health checks every 2 s. Everything is bounded and cleaned up.
 *
 * <p>Run: {@code bin/bench status-latency [backends=1000] [edits=200]} (builds what it needs, runs
 * with {@code -Xmx512m}, prints the machine's load; docs/performance.md).
 *
 * <p>With {@code backends=1} only the edited Backend (and its Site and Service) is loaded.
 */
public final class StatusLatencyBenchmark {
  private static final int SERVICES = 50;
  private static final int PER_FILE = 20;
  private static final Pattern READY_ANY = Pattern.compile("- type: Ready\\n");
  private static final Pattern READY_TRUE = Pattern.compile("- type: Ready\\n\\s+status: \"True\"");
  private static final Pattern OBSERVED = Pattern.compile("(?m)^  observedGeneration: (\\d+)$");

  private StatusLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int backends = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int edits = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    if (backends < 1 || backends > 5000 || edits < 10 || edits > 2000) {
      throw new IllegalArgumentException("want 1-5000 backends and 10-2000 edits");
    }
    Path dir = Files.createTempDirectory("switchboard-status-bench");
    Process child = startBackends(backends, 600);
    try {
      List<String[]> endpoints = readEndpoints(child, backends);
      run(dir, endpoints, edits);
    } finally {
      child.getOutputStream().close();
      child.destroy();
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(Path dir, List<String[]> endpoints, int edits) throws Exception {
    // The edited Backend is endpoint 0; the others go 20 to a file.
    writeFleet(dir, endpoints.subList(1, endpoints.size()), "2s");
    Path edited = dir.resolve("edited.yaml");
    String[] e0 = endpoints.get(0);
    Files.writeString(edited, backend("edited", "svc-0", e0[0], e0[1], 1));

    long t0 = System.nanoTime();
    try (Switchboard operator =
        Switchboard.start(
            OperatorSettings.forDirectory(dir)
                // The fleet lives on loopback, refused as a Site subnet unless allowed.
                .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
                .withResync(Duration.ofSeconds(30)),
            new SimpleMeterRegistry())) {
      long started = System.nanoTime();
      long deadline = t0 + Duration.ofSeconds(120).toNanos();
      int written = 0;
      while (System.nanoTime() < deadline && (written = count(dir, READY_ANY)) < endpoints.size()) {
        LockSupport.parkNanos(20_000_000);
      }
      long allWritten = System.nanoTime() - t0;
      int ready = 0;
      while (System.nanoTime() < deadline && (ready = count(dir, READY_TRUE)) < endpoints.size()) {
        LockSupport.parkNanos(20_000_000);
      }
      long cold = System.nanoTime() - t0;
      System.out.printf(
          "cold start: %d backends, start() returned after %d ms, %d/%d statuses written after"
              + " %d ms, %d/%d Ready=True in their files after %d ms%n",
          endpoints.size(),
          TimeUnit.NANOSECONDS.toMillis(started - t0),
          written,
          endpoints.size(),
          TimeUnit.NANOSECONDS.toMillis(allWritten),
          ready,
          endpoints.size(),
          TimeUnit.NANOSECONDS.toMillis(cold));

      ManifestParser parser = new ManifestParser();
      long[] latencies = new long[edits];
      int timedOut = 0;
      for (int i = 0; i < edits; i++) {
        String text =
            Files.readString(edited)
                .replaceFirst("(?m)^  weight: \\d+$", "  weight: " + (2 + i % 99));
        ParsedFile parsed = parser.parse(text);
        long generation = parsed.documents().get(0).generation();
        Path tmp = dir.resolve(".edited.yaml.swp");
        Files.writeString(tmp, text);
        long start = System.nanoTime();
        Files.move(tmp, edited, StandardCopyOption.ATOMIC_MOVE);
        long limit = start + Duration.ofSeconds(10).toNanos();
        while (observedGeneration(edited) != generation) {
          if (System.nanoTime() > limit) {
            timedOut++;
            break;
          }
          LockSupport.parkNanos(200_000);
        }
        latencies[i] = System.nanoTime() - start;
      }
      Arrays.sort(latencies);
      System.out.printf(
          "edit -> status written: %d edits with %d backends loaded: p50 %.1f ms, p99 %.1f ms,"
              + " max %.1f ms, timed out %d%n",
          edits,
          endpoints.size(),
          latencies[edits / 2] / 1e6,
          latencies[(int) Math.ceil(edits * 0.99) - 1] / 1e6,
          latencies[edits - 1] / 1e6,
          timedOut);
    }
  }

  /**
   * {@code fleet.yaml} (Site {@code bench} on 127.0.1.0/24, 50 Services checking every {@code
   * interval}) and one Backend {@code be-I} per endpoint, 20 to a {@code backends-F.yaml} file.
   */
  static void writeFleet(Path dir, List<String[]> endpoints, String interval) throws IOException {
    StringBuilder fleet = new StringBuilder();
    fleet.append(
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: bench
        spec:
          subnet: 127.0.1.0/24
        """);
    for (int s = 0; s < SERVICES; s++) {
      fleet.append("---\n").append(service("svc-" + s, interval));
    }
    Files.writeString(dir.resolve("fleet.yaml"), fleet);
    for (int f = 0; f * PER_FILE < endpoints.size(); f++) {
      StringBuilder text = new StringBuilder();
      for (int i = f * PER_FILE; i < Math.min(endpoints.size(), (f + 1) * PER_FILE); i++) {
        String[] e = endpoints.get(i);
        if (text.length() > 0) {
          text.append("---\n");
        }
        text.append(backend("be-" + i, "svc-" + (i % SERVICES), e[0], e[1], 1));
      }
      Files.writeString(dir.resolve("backends-" + f + ".yaml"), text);
    }
  }

  private static int count(Path dir, Pattern pattern) throws IOException {
    int ready = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        if (f.getFileName().toString().equals("fleet.yaml")) {
          continue;
        }
        Matcher m = pattern.matcher(Files.readString(f));
        while (m.find()) {
          ready++;
        }
      }
    }
    return ready;
  }

  private static long observedGeneration(Path file) throws IOException {
    Matcher m = OBSERVED.matcher(Files.readString(file));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String service(String name, String interval) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: %s
        spec:
          hosts: ["%s.acecinema.test"]
          healthCheck:
            path: /health
            interval: %s
            timeout: 1s
            healthyThreshold: 1
        """
        .formatted(name, name, interval);
  }

  private static String backend(String name, String service, String address, String port, int w) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: %s
          site: bench
          address: "%s"
          port: %s
          weight: %d
        """
        .formatted(name, service, address, port, w);
  }

  /**
   * {@link ProbeBenchmark.Backends} in a child JVM, which exits by itself after {@code
   * deadlineSeconds} (or when its stdin closes).
   */
  static Process startBackends(int backends, long deadlineSeconds) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            ProbeBenchmark.Backends.class.getName(),
            Integer.toString(backends),
            Long.toString(deadlineSeconds))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** The child's {@code address port} lines until READY. */
  static List<String[]> readEndpoints(Process child, int backends) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    List<String[]> endpoints = new ArrayList<>(backends);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("READY")) {
        return endpoints;
      }
      endpoints.add(line.split(" "));
    }
    throw new IOException("backend process ended before READY; see its stderr above");
  }
}
