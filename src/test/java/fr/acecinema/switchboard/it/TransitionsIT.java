package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.it.OperatorITSupport.Running;
import fr.acecinema.switchboard.notify.Webhooks;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One webhook and one event per real transition, cause before effect: the whole operator with its
 * embedded PostgreSQL (the real {@code events} table), real HTTP backends on 127.0.3x.x and a real
 * webhook receiver on 127.0.0.1. Each test has its own site and backends, so every count below is
 * the whole history of those objects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransitionsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A webhook as received: type and object. */
  record Hook(String type, String kind, String name) {}

  private final List<Hook> hooks = new CopyOnWriteArrayList<>();
  private final TestBackends backends = new TestBackends();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Path manifests;
  private ManifestDir files;
  private Running running;
  private RecordsRepository repo;
  private TestBackends.Backend web1;
  private TestBackends.Backend web3;
  private TestBackends.Backend web4;

  @BeforeAll
  void start() throws Exception {
    manifests = Files.createTempDirectory("transitions-it-manifests");
    Path dataDir = Files.createTempDirectory("transitions-it-data");
    closeables.add(() -> delete(manifests));
    closeables.add(() -> delete(dataDir));
    closeables.add(backends);
    HttpServer receiver =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    receiver.createContext(
        "/",
        ex -> {
          JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
          hooks.add(
              new Hook(
                  body.path("type").asText(),
                  body.path("kind").asText(),
                  body.path("name").asText()));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    closeables.add(() -> receiver.stop(0));

    files = new ManifestDir(manifests);
    // Sites and service first, backends once they are in: a backend read before its site or
    // service would be rejected, then accepted, and that Accepted transition is an event of its
    // own.
    files.write("lyon.yaml", ManifestDir.site("lyon", "127.0.31.0/24"));
    files.write("nantes.yaml", ManifestDir.site("nantes", "127.0.32.0/24"));
    files.write("paris.yaml", ManifestDir.site("paris", "127.0.33.0/24"));
    files.write("rennes.yaml", ManifestDir.site("rennes", "127.0.34.0/24"));
    // A generous timeout: on a loaded machine a 150 ms one flaps, and every flap is a transition.
    files.write(
        "web.yaml",
        ManifestDir.service("web")
            .replace("timeout: 150ms", "timeout: 900ms")
            .replace("200ms", "1s"));

    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    closeables.add(running);
    repo = running.repository();
    Webhooks webhooks =
        new Webhooks(
            List.of(URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")),
            "transitions-it-secret-0123",
            running.operator().http(),
            Webhooks.Settings.defaults(),
            new SimpleMeterRegistry(),
            Clock.systemUTC());
    closeables.add(webhooks);
    running.operator().setNotifier(webhooks);
    await().atMost(Duration.ofSeconds(20)).until(() -> !reason("web.yaml").isEmpty());
    web1 = declare("lyon", "127.0.31", "web-1", 2);
    declare("lyon", "127.0.31", "web-2", 3);
    web3 = declare("nantes", "127.0.32", "web-3", 2);
    web4 = declare("paris", "127.0.33", "web-4", 2);
    declare("paris", "127.0.33", "web-5", 3);
    declare("rennes", "127.0.34", "web-6", 2);
    declare("rennes", "127.0.34", "web-7", 3);
    for (String name : List.of("web-1", "web-2", "web-3", "web-4", "web-5", "web-6", "web-7")) {
      await().atMost(Duration.ofSeconds(60)).until(() -> ready(name + ".yaml").equals("True"));
    }
    for (String site : List.of("lyon", "nantes", "paris", "rennes")) {
      await().atMost(Duration.ofSeconds(20)).until(() -> ready(site + ".yaml").equals("True"));
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
  }

  @Test
  void aBackendThatDiesAndComesBackSendsOneBackendDownAndOneBackendUpAndTheSiteNothing() {
    web1.healthStatus.set(503); // Healthy and Ready go False in the same status write
    await().until(() -> of("web-1", "lyon").size() == 1);
    await().until(() -> ready("web-1.yaml").equals("False"));
    web1.healthStatus.set(200);
    await().until(() -> of("web-1", "lyon").size() == 2);
    await().until(() -> ready("web-1.yaml").equals("True"));
    await().untilAsserted(() -> assertThat(repo.events("Backend", "web-1", 10)).hasSize(2));

    assertThat(of("web-1", "lyon"))
        .containsExactly(
            new Hook("BackendDown", "Backend", "web-1"), new Hook("BackendUp", "Backend", "web-1"));
    assertThat(chronological(repo.events("Backend", "web-1", 10)))
        .extracting(EventRecord::type, EventRecord::reason, EventRecord::count)
        .containsExactly(
            tuple(EventType.WARNING, "BackendDown", 1), tuple(EventType.NORMAL, "BackendUp", 1));
    assertThat(repo.events("Site", "lyon", 10)).isEmpty();
  }

  @Test
  void theLastBackendOfASiteDyingSendsBackendDownThenSiteDownAndUpInTheSameOrder()
      throws IOException {
    web3.stop();
    await().until(() -> of("web-3", "nantes").size() == 2);
    await().until(() -> ready("nantes.yaml").equals("False"));
    web3 = backends.start("web-3", web3.address, web3.port);
    await().until(() -> of("web-3", "nantes").size() == 4);
    await().until(() -> ready("nantes.yaml").equals("True"));
    await().untilAsserted(() -> assertThat(repo.events("Backend", "web-3", 10)).hasSize(2));
    await().untilAsserted(() -> assertThat(repo.events("Site", "nantes", 10)).hasSize(2));

    assertThat(of("web-3", "nantes"))
        .containsExactly(
            new Hook("BackendDown", "Backend", "web-3"),
            new Hook("SiteDown", "Site", "nantes"),
            new Hook("BackendUp", "Backend", "web-3"),
            new Hook("SiteUp", "Site", "nantes"));
    List<EventRecord> journal =
        chronological(repo.events(null, null, 1000)).stream()
            .filter(e -> Set.of("web-3", "nantes").contains(e.name()))
            .filter(e -> !e.kind().equals("Service"))
            .toList();
    assertThat(journal)
        .extracting(EventRecord::name, EventRecord::reason, EventRecord::count)
        .containsExactly(
            tuple("web-3", "BackendDown", 1),
            tuple("nantes", "SiteDown", 1),
            tuple("web-3", "BackendUp", 1),
            tuple("nantes", "SiteUp", 1));
  }

  @Test
  void drainAndUndrainAreOneEventAndOneWebhookEachAndNoBackendDown() throws IOException {
    String declared = backend("web-4", "paris", web4);
    files.write("web-4.yaml", declared + "  drain: true\n");
    await().until(() -> reason("web-4.yaml").equals("Draining"));
    await().until(() -> of("web-4", "paris").size() == 1);
    files.write("web-4.yaml", declared);
    await().until(() -> reason("web-4.yaml").equals("Serving"));
    await().until(() -> of("web-4", "paris").size() == 2);
    await().untilAsserted(() -> assertThat(repo.events("Backend", "web-4", 10)).hasSize(2));

    assertThat(of("web-4", "paris"))
        .containsExactly(
            new Hook("BackendDrained", "Backend", "web-4"),
            new Hook("BackendUndrained", "Backend", "web-4"));
    assertNormalEventsOnce("Backend", "web-4", "BackendDrained", "BackendUndrained");
    assertThat(repo.events("Site", "paris", 10)).isEmpty();
  }

  @Test
  void maintenanceOnAndOffIsTheSitesOwnEventAndItsBackendsSendNothing() throws IOException {
    String site = ManifestDir.site("rennes", "127.0.34.0/24");
    files.write("rennes.yaml", site + "  maintenance: true\n");
    await().until(() -> reason("rennes.yaml").equals("SiteMaintenance"));
    await().until(() -> reason("web-6.yaml").equals("SiteMaintenance"));
    await().until(() -> reason("web-7.yaml").equals("SiteMaintenance"));
    await().until(() -> of("web-6", "web-7", "rennes").size() == 1);
    files.write("rennes.yaml", site);
    await().until(() -> reason("rennes.yaml").equals("BackendsReady"));
    await().until(() -> reason("web-6.yaml").equals("Serving"));
    await().until(() -> reason("web-7.yaml").equals("Serving"));
    await().until(() -> of("web-6", "web-7", "rennes").size() == 2);
    await().untilAsserted(() -> assertThat(repo.events("Site", "rennes", 10)).hasSize(2));

    assertThat(of("web-6", "web-7", "rennes"))
        .containsExactly(
            new Hook("SiteMaintenanceStarted", "Site", "rennes"),
            new Hook("SiteMaintenanceEnded", "Site", "rennes"));
    assertNormalEventsOnce("Site", "rennes", "SiteMaintenanceStarted", "SiteMaintenanceEnded");
    assertThat(repo.events("Backend", "web-6", 10)).isEmpty();
    assertThat(repo.events("Backend", "web-7", 10)).isEmpty();
  }

  /** The object's whole journal: these Normal events, once each, in this order. */
  private void assertNormalEventsOnce(String kind, String name, String... reasons) {
    assertThat(chronological(repo.events(kind, name, 10)))
        .extracting(EventRecord::type, EventRecord::reason, EventRecord::count)
        .containsExactly(
            java.util.Arrays.stream(reasons)
                .map(r -> tuple(EventType.NORMAL, r, 1))
                .toArray(org.assertj.core.groups.Tuple[]::new));
  }

  private TestBackends.Backend declare(String site, String net, String name, int host)
      throws IOException {
    TestBackends.Backend b = backends.start(name, net + "." + host, 0);
    files.write(name + ".yaml", backend(name, site, b));
    return b;
  }

  private static String backend(String name, String site, TestBackends.Backend b) {
    return OperatorIT.backend(name, site, b.address, b.port, 1)
        .replace("service: api", "service: web");
  }

  /** The webhooks about these objects, in the order received. */
  private List<Hook> of(String... names) {
    Set<String> wanted = Set.of(names);
    return hooks.stream().filter(h -> wanted.contains(h.name())).toList();
  }

  private static List<EventRecord> chronological(List<EventRecord> newestFirst) {
    return newestFirst.reversed();
  }

  private String ready(String file) {
    try {
      return files.ready(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String reason(String file) throws IOException {
    return files.condition(file, "Ready").path("reason").asText("");
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
