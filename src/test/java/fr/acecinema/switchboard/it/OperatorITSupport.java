package fr.acecinema.switchboard.it;

import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.operator.RecordsSettings;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.EmbeddedPostgresServer;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Starts the whole operator with PostgreSQL records for integration tests. */
final class OperatorITSupport {
  private OperatorITSupport() {}

  /** A running operator and its database. */
  record Running(Switchboard operator) implements AutoCloseable {
    Database database() {
      return operator.records().orElseThrow().database().orElseThrow();
    }

    EmbeddedPostgresServer server() {
      return database().embedded().orElseThrow();
    }

    RecordsRepository repository() {
      return new RecordsRepository(database());
    }

    /** GET {@code path} on the operator's health endpoint. */
    HttpResponse<String> health(String path) throws IOException, InterruptedException {
      InetSocketAddress a = operator.healthAddress().orElseThrow();
      try (HttpClient http = HttpClient.newHttpClient()) {
        return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
      }
    }

    boolean synced() {
      return operator.records().orElseThrow().condition().isTrue();
    }

    @Override
    public void close() {
      operator.close();
    }
  }

  /**
   * What every IT's operator watches and allows: the {@code manifests} directory, a fleet on
   * loopback, and a 2 s resync. Tests add what they need on top (records, routing, a shorter
   * resync).
   */
  static OperatorSettings loopbackFleet(Path manifests) {
    return OperatorSettings.forDirectory(manifests)
        // The fleet lives on loopback, refused as a Site subnet unless allowed.
        .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
        .withResync(Duration.ofSeconds(2));
  }

  /** The operator with meters of its own, so tests never share counters. */
  static Switchboard start(OperatorSettings settings) throws IOException {
    return Switchboard.start(settings, new SimpleMeterRegistry());
  }

  /** The operator with an embedded database in {@code dataDir}; returns once it is open. */
  static Running startWithEmbeddedDatabase(Path manifests, Path dataDir) throws IOException {
    return databaseOpen(start(manifests, dataDir, ""));
  }

  /** The operator over {@code settings}, whose records are embedded; returns once it is open. */
  static Running startWithEmbeddedDatabase(OperatorSettings settings) throws IOException {
    return databaseOpen(new Running(start(settings)));
  }

  static Running start(Path manifests, Path dataDir, String url) throws IOException {
    return new Running(
        start(
            loopbackFleet(manifests)
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withRecords(
                    new RecordsSettings(url, dataDir, RecordsSettings.DEFAULT_BUFFER, true))));
  }

  private static Running databaseOpen(Running r) {
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> r.operator().records().orElseThrow().database().isPresent());
      return r;
    } catch (RuntimeException | Error e) {
      // The caller never gets it to close: stop it here, or its threads outlive the test.
      r.close();
      throw e;
    }
  }
}
