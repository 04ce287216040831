package fr.acecinema.switchboard.source.file;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.DeclarationSink;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.source.StatusWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Prints how long a manifest edit takes to reach the sink, and a status to be written back, with
 * 1,000 Backends loaded (100 files of 10 documents). Run: {@code bin/bench manifest-latency}; it
 * prints figures and asserts nothing about speed.
 */
public final class ManifestLatencyBenchmark {
  public static void main(String[] args) throws Exception {
    Path root = Files.createTempDirectory("switchboard-bench");
    int files = 100;
    int perFile = 10;
    for (int f = 0; f < files; f++) {
      Files.writeString(root.resolve("f" + f + ".yaml"), file(f, perFile, 0));
    }
    Map<String, Long> seen = new ConcurrentHashMap<>();
    LinkedBlockingQueue<Declaration> reported = new LinkedBlockingQueue<>();
    DeclarationSink sink =
        new DeclarationSink() {
          @Override
          public void replace(String s, String l, List<Declaration> a, List<Rejection> r) {
            reported.addAll(a);
          }

          @Override
          public void removeLocation(String s, String l) {}

          @Override
          public Set<String> locations(String s) {
            return Set.of();
          }
        };
    long startNanos = System.nanoTime();
    ManifestDirectorySource source =
        new ManifestDirectorySource(
            root, sink, new DocumentAdmission(), new ManifestParser(), Duration.ofMinutes(5));
    source.start();
    System.out.printf(
        "cold start: %d declarations in %.1f ms%n",
        reported.size(), (System.nanoTime() - startNanos) / 1e6);
    reported.clear();
    ManifestFileWriter writer = new ManifestFileWriter(root);
    List<Double> toSink = new ArrayList<>();
    List<Double> toStatus = new ArrayList<>();
    try {
      for (int i = 1; i <= 300; i++) {
        int f = i % files;
        Path path = root.resolve("f" + f + ".yaml");
        String text = Files.readString(path);
        String edited = text.replaceFirst("port: \\d+", "port: " + (1000 + i));
        long t0 = System.nanoTime();
        Files.writeString(path, edited);
        Declaration d = null;
        while (d == null || ((Backend) d.resource()).getSpec().port != 1000 + i) {
          d = reported.poll(5, TimeUnit.SECONDS);
          if (d == null) {
            throw new IllegalStateException("edit " + i + " never reported");
          }
        }
        long t1 = System.nanoTime();
        var status = JsonNodeFactory.instance.objectNode();
        status.put("observedGeneration", d.resource().getMetadata().getGeneration());
        StatusWriter.Outcome outcome =
            writer.write(d.origin(), d.resource().getMetadata().getGeneration(), status);
        long t2 = System.nanoTime();
        if (outcome != StatusWriter.Outcome.WRITTEN) {
          throw new IllegalStateException("status " + i + ": " + outcome);
        }
        toSink.add((t1 - t0) / 1e6);
        toStatus.add((t2 - t0) / 1e6);
        reported.clear();
      }
    } finally {
      source.close();
      try (var paths = Files.walk(root)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    print("file write -> declaration in sink", toSink);
    print("file write -> status written", toStatus);
  }

  private static void print(String what, List<Double> millis) {
    Collections.sort(millis);
    System.out.printf(
        "%s (%d edits, 1000 resources): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        what,
        millis.size(),
        millis.get(millis.size() / 2),
        millis.get((int) Math.ceil(millis.size() * 0.99) - 1),
        millis.get(millis.size() - 1));
  }

  private static String file(int f, int perFile, int portBase) {
    StringBuilder out = new StringBuilder("# generated for the benchmark\n");
    for (int d = 0; d < perFile; d++) {
      out.append("---\napiVersion: switchboard.acecinema.fr/v1alpha1\nkind: Backend\nmetadata:\n")
          .append("  name: b-")
          .append(f)
          .append('-')
          .append(d)
          .append("\nspec:\n  service: api\n  site: lyon\n  address: 10.0.0.1\n  port: ")
          .append(8000 + portBase + d)
          .append('\n');
    }
    return out.toString();
  }
}
