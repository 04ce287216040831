package fr.acecinema.switchboard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.it.TestBackends;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.operator.RecordsSettings;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ProbeMinute;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.reconciler.records.DatabaseHandle;
import fr.acecinema.switchboard.reconciler.records.ProbeMinutes;
import fr.acecinema.switchboard.reconciler.records.RecordsHealth;
import fr.acecinema.switchboard.reconciler.records.RecordsReconciler;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Records figures for docs/performance.md, against a real embedded PostgreSQL on loopback:
 *
 * <ol>
 *   <li>inventory throughput: 1,000 resources recorded from cold start (empty inventory);
 *   <li>latency from a row change of the resources table to the status written back into the row
 *       (p50/p99 over 200 changes), through LISTEN/NOTIFY, admission, the Backend reconciler and
 *       the table status writer;
 *   <li>database growth per backend per day at a 1 s probe interval (probe_minutes rows).
 * </ol>
 *
 * Run: {@code bin/bench records}, or from the IDE. Bounded: 1,000 resources, 200 changes with a 10
 * s timeout each, 10 simulated backend-days.
 */
public final class RecordsBenchmark {
  private static final ObjectMapper JSON = Switchboard.mapper();

  public static void main(String[] args) throws Exception {
    Path tmp = Files.createTempDirectory("records-bench");
    try {
      coldStart(tmp.resolve("cold"));
      rowToStatus(tmp.resolve("row"));
      growth(tmp.resolve("growth"));
    } finally {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0);
  }

  static void coldStart(Path dir) throws Exception {
    try (Database db = Database.open(null, dir)) {
      ResourceStore store = new ResourceStore();
      for (int i = 0; i < 1000; i++) {
        Backend b = new Backend();
        b.setMetadata(new ObjectMetaBuilder().withName("be-" + i).withGeneration(1L).build());
        BackendSpec spec = new BackendSpec();
        spec.service = "svc-" + (i % 50);
        spec.site = "site-" + (i % 5);
        spec.address = "127.0.60." + (1 + i % 250);
        spec.port = 8000 + i;
        b.setSpec(spec);
        store.put(b);
      }
      var meters = new SimpleMeterRegistry();
      RecordsHealth health = new RecordsHealth(Clock.systemUTC(), meters);
      RecordsRepository repo = new RecordsRepository(db);
      for (int workers : new int[] {2}) {
        // The records instance of the one runtime, as the composition root builds it.
        StandaloneRuntime r =
            new StandaloneRuntime(
                "records",
                "switchboard.records",
                store,
                StatusPublisher.NONE,
                meters,
                JSON,
                workers,
                Duration.ofMinutes(10));
        new RecordsReconciler(
                DatabaseHandle.of(db), health, k -> "bench", JSON, Clock.systemUTC(), meters)
            .registerOn(r);
        long t0 = System.nanoTime();
        r.start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (repo.inventory("Backend").size() < 1000 && System.currentTimeMillis() < deadline) {
          // A benchmark main, not a test: it polls the database at a fixed 20 ms resolution.
          Thread.sleep(20);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "cold start: 1000 resources recorded in %.2f s (%.0f resources/s, %d workers)%n",
            s, 1000 / s, workers);
        r.close();
      }
    }
  }

  static void rowToStatus(Path dir) throws Exception {
    Path manifests = Files.createDirectories(dir.resolve("manifests"));
    Files.writeString(
        manifests.resolve("site.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata: {name: bench}
        spec: {subnet: 127.0.61.0/24}
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata: {name: bench}
        spec:
          hosts: [bench.acecinema.test]
          healthCheck: {path: /health, interval: 1s, timeout: 500ms}
        """);
    try (TestBackends backends = new TestBackends()) {
      TestBackends.Backend be = backends.start("row", "127.0.61.2", 0);
      OperatorSettings settings =
          OperatorSettings.forDirectory(manifests)
              // The fleet lives on loopback, refused as a Site subnet unless allowed.
              .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
              .withResync(Duration.ofSeconds(30))
              .withRecords(RecordsSettings.embedded(dir.resolve("data")));
      try (Switchboard op = Switchboard.start(settings, new SimpleMeterRegistry())) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (op.records().orElseThrow().database().isEmpty()
            && System.currentTimeMillis() < deadline) {
          // Polls for the asynchronously opened database (bounded by the deadline above).
          Thread.sleep(50);
        }
        ResourceTable table = new ResourceTable(op.records().orElseThrow().database().get());
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 201; i++) {
          ObjectNode spec = JSON.createObjectNode();
          spec.put("service", "bench")
              .put("site", "bench")
              .put("address", "127.0.61.2")
              .put("port", be.port)
              .put("weight", 1 + (i % 100));
          long t0 = System.nanoTime();
          long generation = table.upsert("Backend", "row-be", spec, null).generation();
          long until = System.currentTimeMillis() + 10_000;
          while (System.currentTimeMillis() < until) {
            var row = table.get("Backend", "row-be").orElseThrow();
            if (row.status() != null
                && row.status().path("observedGeneration").asLong() == generation) {
              break;
            }
            Thread.onSpinWait();
          }
          if (i > 0) { // the first includes the backend's creation and first probe
            ms.add((System.nanoTime() - t0) / 1e6);
          }
        }
        double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(
            "row change -> status in the row: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d changes)%n",
            sorted[sorted.length / 2],
            sorted[(int) Math.ceil(sorted.length * 0.99) - 1],
            sorted[sorted.length - 1],
            sorted.length);
      }
    }
  }

  static void growth(Path dir) throws Exception {
    try (Database db = Database.open(null, dir)) {
      RecordsRepository repo = new RecordsRepository(db);
      Random random = new Random(42);
      int backends = 10;
      Instant day = Instant.parse("2026-01-01T00:00:00Z");
      ProbeMinutes acc = new ProbeMinutes();
      for (int m = 0; m < 1440; m++) {
        Instant minute = day.plus(m, ChronoUnit.MINUTES);
        for (int b = 0; b < backends; b++) {
          for (int s = 0; s < 60; s++) { // 1 s probe interval
            boolean ok = random.nextInt(1000) != 0;
            acc.add("backend-" + b, minute.plusSeconds(s), ok, 1 + random.nextInt(40));
          }
        }
        List<ProbeMinute> done = acc.drainCompleted(minute.plus(1, ChronoUnit.MINUTES));
        repo.recordProbeMinutes(done);
      }
      long bytes =
          db.withConnection(
              "size",
              c -> {
                try (Statement st = c.createStatement()) {
                  st.execute("VACUUM ANALYZE probe_minutes");
                  try (ResultSet rs =
                      st.executeQuery("SELECT pg_total_relation_size('probe_minutes')")) {
                    rs.next();
                    return rs.getLong(1);
                  }
                }
              });
      System.out.printf(
          "growth at a 1 s probe interval: %d probe_minutes rows per backend-day, %.0f KiB per"
              + " backend per day (table + indexes), %s%n",
          1440,
          bytes / 1024.0 / backends,
          Arrays.toString(new int[] {backends}) + " backends simulated");
    }
  }
}
