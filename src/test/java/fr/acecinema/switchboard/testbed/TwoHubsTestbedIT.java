package fr.acecinema.switchboard.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.agent.AgentReport;
import fr.acecinema.switchboard.agent.FailoverHubClient;
import fr.acecinema.switchboard.agent.HttpHubClient;
import fr.acecinema.switchboard.agent.HubBackend;
import fr.acecinema.switchboard.agent.HubClient;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;

/**
 * Two hubs, one fleet, on the multi-site testbed ({@code testbed.sh up} with {@code SBTB_HUBS=2}):
 * hub A in {@code sbhub} and hub B in {@code sbhub2}, each with its own WireGuard peers to both
 * sites, its own Caddy 2.6.2 and its own {@code sbctl run} from the jar, sharing one PostgreSQL 15
 * in the root namespace (the resources table is the fleet; {@code --leader-election=on}, every
 * other setting a default). Open load on both Caddies from the root namespace, as two DNS records
 * would send it. In order: a split between hub A and dijon only; a PostgreSQL restart under load;
 * the leader killed with SIGKILL, then its namespace cut off.
 *
 * <p>Needs root and the PostgreSQL 15 server binaries: fails saying so otherwise.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoHubsTestbedIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int RATE = 100;
  private static final String HOST = "api.acecinema.fr";

  /**
   * One hub: its namespace, its address from the root namespace, its Caddy and operator, and a read
   * token of its API.
   */
  private record Hub(
      String name, String ns, String address, CaddyProcess caddy, HubOperator op, String token) {
    String url() {
      return "http://" + address + ":8080/load";
    }
  }

  private static Testbed tb;
  private static ScratchPostgres pg;
  private static Database db;
  private static ResourceTable table;
  private static HttpServer hooks;
  private static final List<JsonNode> webhooks = new CopyOnWriteArrayList<>();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static OkHttpClient client;
  private static Path dir;
  private static Hub a;
  private static Hub b;
  private static String dashboardToken;
  private static String agentToken;
  // Set by the takeover test: the hub killed and the one that took over.
  private static Hub dead;
  private static Hub survivor;

  @BeforeAll
  static void up() throws Exception {
    assertThat(ScratchPostgres.available())
        .as("PostgreSQL 15 server binaries (apt install postgresql-15)")
        .isTrue();
    tb = Testbed.up(2);
    try {
      dir = Files.createTempDirectory("sb-two-hubs-");
      // The database and the webhook receiver serve both hubs from the root namespace.
      pg = ScratchPostgres.start(Testbed.ROOT_ADDRESS, "169.254.77.0/29");
      db = Database.open(pg.jdbcUrl(), dir.resolve("test-data"));
      table = new ResourceTable(db);
      hooks =
          HttpServer.create(
              new InetSocketAddress(InetAddress.getByName(Testbed.ROOT_ADDRESS), 0), 16);
      hooks.createContext(
          "/",
          ex -> {
            webhooks.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
            ex.sendResponseHeaders(204, -1);
            ex.close();
          });
      hooks.start();
      tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
      tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
      tb.startBackend("thory", "10.200.1.46", 8080, "thory-spare");
      declareFleet();
      client = OpenLoad.client(Duration.ofSeconds(5));
      a = hub("hub-a", Testbed.HUB, Testbed.HUB_ADDRESS);
      await().atMost(Duration.ofSeconds(60)).until(() -> leader(a).equals("True/Leading"));
      b = hub("hub-b", Testbed.HUB2, Testbed.HUB2_ADDRESS);
      await().atMost(Duration.ofSeconds(60)).until(() -> leader(b).equals("False/Following"));
      for (Hub h : List.of(a, b)) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> answeredBy(h).equals(java.util.Set.of("dijon-api", "thory-api")));
      }
      // The leader writes what each hub sees into the rows.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> rowHubs("dijon-api").equals("hub-a=True,hub-b=True"));
    } catch (RuntimeException | Error e) {
      down();
      throw e;
    }
  }

  /**
   * Both sites (no WireGuard watch: the interface differs per hub), one service, three backends.
   */
  private static void declareFleet() throws IOException {
    table.upsert("Site", "dijon", JSON.readTree("{\"subnet\": \"10.200.0.0/24\"}"), null);
    table.upsert(
        "Site", "thory", JSON.readTree("{\"subnet\": \"10.200.1.0/24\", \"priority\": 20}"), null);
    table.upsert(
        "Service",
        "api",
        JSON.readTree("{\"hosts\": [\"" + HOST + "\"], \"healthCheck\": {\"path\": \"/health\"}}"),
        null);
    String[][] backends = {
      {"dijon-api", "dijon", "10.200.0.23", "10"},
      {"thory-api", "thory", "10.200.1.45", "1"},
      {"thory-spare", "thory", "10.200.1.46", "1"},
    };
    for (String[] be : backends) {
      table.upsert(
          "Backend",
          be[0],
          JSON.readTree(
              "{\"service\": \"api\", \"site\": \"%s\", \"address\": \"%s\", \"port\": 8080, \"weight\": %s}"
                  .formatted(be[1], be[2], be[3])),
          null);
    }
  }

  private static Hub hub(String name, String ns, String address) throws IOException {
    String admin = address + ":2119";
    // Hub A's Caddy logs every upstream attempt: the split drill reads where requests went.
    CaddyProcess caddy =
        CaddyProcess.start(List.of("ip", "netns", "exec", ns), admin, null, ns.equals(Testbed.HUB));
    Path manifests = Files.createDirectories(dir.resolve(name + "-manifests"));
    Path data = dir.resolve(name + "-data");
    // The second hub takes a copy of the first one's tokens, as docs/operations.md says: one
    // dashboard token and one agent token work on both.
    if (dashboardToken == null) {
      dashboardToken = TokenStore.in(data).create("dashboard", Scope.read).secret();
      agentToken = TokenStore.in(data).create("thory-agent", Scope.agent, "thory").secret();
    } else {
      Files.createDirectories(data);
      Files.copy(dir.resolve("hub-a-data").resolve(TokenStore.FILE), data.resolve(TokenStore.FILE));
    }
    String token = dashboardToken;
    HubOperator op =
        HubOperator.startIn(
            ns,
            data,
            List.of(
                "--manifests=" + manifests,
                "--listen=" + address + ":7070",
                // Plain HTTP on the testbed's own link: the test reads /readyz there.
                "--insecure-listen",
                "--database-url=" + pg.jdbcUrl(Testbed.ROOT_ADDRESS),
                "--leader-election=on",
                "--api-target=table",
                "--hub-name=" + name,
                "--caddy-admin=http://" + admin,
                "--caddy-listen=" + address + ":8080",
                "--caddy-auto-https=off",
                "--webhook=http://" + Testbed.ROOT_ADDRESS + ":" + hooks.getAddress().getPort(),
                "--webhook-secret=two-hubs-testbed-secret-01"));
    return new Hub(name, ns, address, caddy, op, token);
  }

  @AfterAll
  static void down() {
    keepLogs();
    for (Hub h : new Hub[] {b, a}) {
      if (h != null) {
        h.op().close();
        h.caddy().close();
      }
    }
    a = null;
    b = null;
    dead = null;
    survivor = null;
    dashboardToken = null;
    agentToken = null;
    if (client != null) {
      client.dispatcher().executorService().shutdownNow();
      client.connectionPool().evictAll();
      client = null;
    }
    if (hooks != null) {
      hooks.stop(0);
      hooks = null;
    }
    if (db != null) {
      db.close();
      db = null;
    }
    if (pg != null) {
      pg.close();
      pg = null;
    }
    if (tb != null) {
      tb.close();
      tb = null;
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException ignored) {
        // best effort: a temp dir left behind is harmless
      }
      dir = null;
    }
  }

  /** Both operators' logs end up in target/testbed-logs/ (for a failure's post-mortem). */
  private static void keepLogs() {
    try {
      Path logs = Files.createDirectories(Path.of("target", "testbed-logs"));
      for (Hub h : new Hub[] {a, b}) {
        if (h != null) {
          Files.writeString(logs.resolve("TwoHubsTestbedIT-" + h.name() + ".log"), h.op().log());
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("could not keep the testbed logs: " + e);
    }
  }

  @Test
  @Order(1)
  void aSplitBetweenHubAAndDijonOnlyMakesHubARouteAroundDijonWhileHubBKeepsIt() throws Exception {
    // Hub A's side: the whole-site drill of SiteFailoverIT, the blackhole made in sbhub alone.
    OpenLoad loadB = OpenLoad.start(client, b.url(), HOST, RATE, Duration.ofSeconds(60));
    // What the rows say of dijon-api meanwhile: each hub's own view.
    java.util.Set<String> views = java.util.concurrent.ConcurrentHashMap.newKeySet();
    var watch = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    watch.scheduleWithFixedDelay(
        () -> views.add(rowHubs("dijon-api")), 0, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
    SiteDrill.Result r;
    List<OpenLoad.Sample> onB;
    try {
      loadB.awaitArrivals(Duration.ofSeconds(1));
      r =
          SiteDrill.run(
              "two hubs",
              tb,
              a.caddy(),
              client,
              a.url(),
              HOST,
              Testbed.Cut.BLACKHOLE,
              "dijon",
              "10.200.0.",
              "dijon-",
              java.util.Set.of("dijon-api", "thory-api"),
              new SiteDrill.Plan(
                  RATE,
                  Duration.ofSeconds(2),
                  Duration.ofSeconds(6),
                  Duration.ofSeconds(4),
                  Duration.ofSeconds(5)));
    } finally {
      watch.shutdownNow();
      onB = loadB.stop(Duration.ofSeconds(10));
    }
    long cutEnd = r.cutNanos() + Duration.ofSeconds(6).toNanos();
    List<OpenLoad.Sample> bDuringCut =
        onB.stream().filter(s -> s.start() >= r.cutNanos() && s.start() < cutEnd).toList();
    long bToDijon = bDuringCut.stream().filter(s -> "dijon-api".equals(s.backend())).count();
    System.out.printf(
        "[TwoHubsTestbedIT] split hub-a/dijon: hub-a's Caddy: steady %s; cut %s; healed %s; moved"
            + " %d ms, back %d ms; hub-b's Caddy %s, %d of %d cut-window requests answered by"
            + " dijon; dijon-api's row said %s%n",
        r.steady(),
        r.cut(),
        r.healed(),
        r.movedMillis(),
        r.backMillis(),
        outcomes(onB),
        bToDijon,
        bDuringCut.size(),
        views);
    assertThat(r.failed()).as("failed on hub-a's Caddy %s", r.failures()).isZero();
    assertThat(r.movedMillis()).as("hub-a stopped sending to dijon during the cut").isNotNegative();
    assertThat(r.backMillis()).as("dijon serves hub-a again after the heal").isNotNegative();
    assertThat(failed(onB)).as("failed on hub-b's Caddy").isEmpty();
    // Hub B kept dijon: most of its cut-window requests (weights 10:1:1) were answered there.
    assertThat(bToDijon).isGreaterThan(bDuringCut.size() / 2L);
    // The leader's row carried both views: hub A without dijon, hub B with it.
    assertThat(views).contains("hub-a=False,hub-b=True");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> rowHubs("dijon-api").equals("hub-a=True,hub-b=True"));
  }

  @Test
  @Order(2)
  void restartingPostgresqlUnderLoadLeavesBothHubsRouting() throws Exception {
    OpenLoad loadA = OpenLoad.start(client, a.url(), HOST, RATE, Duration.ofSeconds(60));
    OpenLoad loadB = OpenLoad.start(client, b.url(), HOST, RATE, Duration.ofSeconds(60));
    List<OpenLoad.Sample> onA;
    List<OpenLoad.Sample> onB;
    long took;
    try {
      loadA.awaitArrivals(Duration.ofSeconds(2));
      long restarted = System.nanoTime();
      pg.restart();
      took = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
      loadA.awaitArrivals(Duration.ofSeconds(5));
    } finally {
      onB = loadB.stop(Duration.ofSeconds(10));
      onA = loadA.stop(Duration.ofSeconds(10));
    }
    List<String> leaders = List.of("hub-a " + leader(a), "hub-b " + leader(b));
    System.out.printf(
        "[TwoHubsTestbedIT] PostgreSQL restarted in %d ms under load: hub-a's Caddy %s, hub-b's"
            + " Caddy %s; %s%n",
        took, outcomes(onA), outcomes(onB), leaders);
    assertThat(failed(onA)).as("failed on hub-a's Caddy").isEmpty();
    assertThat(failed(onB)).as("failed on hub-b's Caddy").isEmpty();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                List.of(leader(a), leader(b)).stream().filter("True/Leading"::equals).count() == 1);
  }

  @Test
  @Order(3)
  void theLeaderKilledThenCutOffLosesTheLeaseAndHubBsClientsLoseNothing() throws Exception {
    // Transition 1, seen by both hubs, told once.
    int before = webhooks.size();
    tb.stopBackend("thory-spare");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> rowCondition("thory-spare", "Ready").equals("False"));
    await().atMost(Duration.ofSeconds(10)).until(() -> told("BackendDown", "thory-spare") == 1);
    Hub leader = leader(a).equals("True/Leading") ? a : b;
    Hub other = leader == a ? b : a;
    dead = leader;
    survivor = other;

    OpenLoad onOther = OpenLoad.start(client, other.url(), HOST, RATE, Duration.ofSeconds(60));
    List<OpenLoad.Sample> samples;
    long tookOver;
    try {
      onOther.awaitArrivals(Duration.ofSeconds(2));
      leader.op().kill();
      long killed = System.nanoTime();
      // Its VPS then drops off the network: its Caddy, which routed on, is gone too.
      tb.isolate(leader.ns());
      // Transition 2 while no hub leads: the new leader tells it when it takes the lead.
      tb.stopBackend("thory-api");
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> leader(other).equals("True/Leading"));
      tookOver = Duration.ofNanos(System.nanoTime() - killed).toMillis();
      await().atMost(Duration.ofSeconds(10)).until(() -> told("BackendDown", "thory-api") == 1);
      // Statuses, records and webhooks go on from the new leader: transitions 3 and 4.
      tb.restartBackend("thory-spare");
      tb.restartBackend("thory-api");
      for (String backend : List.of("thory-spare", "thory-api")) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> rowCondition(backend, "Ready").equals("True"));
        await().atMost(Duration.ofSeconds(10)).until(() -> told("BackendUp", backend) == 1);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> told("SiteUp", "thory") == 1);
      onOther.awaitArrivals(Duration.ofSeconds(1));
    } finally {
      samples = onOther.stop(Duration.ofSeconds(10));
    }
    List<String> toldNow = new ArrayList<>();
    for (JsonNode w : webhooks.subList(before, webhooks.size())) {
      toldNow.add(w.path("type").asText() + " " + w.path("name").asText());
    }
    System.out.printf(
        "[TwoHubsTestbedIT] default lease (10s): %s led %d ms after %s's SIGKILL (its namespace"
            + " then cut off); %s's Caddy %d requests %s; webhooks %s%n",
        other.name(),
        tookOver,
        leader.name(),
        other.name(),
        samples.size(),
        outcomes(samples),
        toldNow);
    assertThat(failed(samples)).as("failed on %s's Caddy", other.name()).isEmpty();
    // Exactly one webhook per transition across both hubs, those no hub saw led included: with
    // thory-api down, thory had no healthy backend left (SiteDown), until they came back.
    assertThat(toldNow)
        .containsExactlyInAnyOrder(
            "BackendDown thory-spare",
            "BackendDown thory-api",
            "SiteDown thory",
            "BackendUp thory-spare",
            "BackendUp thory-api",
            "SiteUp thory");
    for (String backend : List.of("thory-spare", "thory-api")) {
      assertThat(events(backend)).containsExactly("BackendDown x1", "BackendUp x1");
    }
    assertThat(transitions("thory-spare")).containsOnlyOnce("Unhealthy->Healthy");
    // The dead hub's view goes silent in the rows; the survivor's stands.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                rowHubs("dijon-api")
                    .equals(leader == a ? "hub-b=True,hub-a=Unknown" : "hub-a=True,hub-b=Unknown"));
    survivorsDashboardShowsBothHubs(other, leader);
  }

  @Test
  @Order(4)
  void anAgentGivenBothHubsGoesOnThroughTheSurvivor() throws Exception {
    assertThat(survivor).as("the takeover test ran").isNotNull();
    // The agent of thory, as `sbctl agent --hub DEAD,SURVIVOR` builds it: the dead hub first.
    OkHttpClient http = new OkHttpClient();
    List<HubClient> hubs = new ArrayList<>();
    for (Hub h : List.of(dead, survivor)) {
      hubs.add(new HttpHubClient(URI.create("http://" + h.address() + ":7070"), agentToken, http));
    }
    FailoverHubClient agent = new FailoverHubClient(hubs);
    try {
      Instant sent = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
      long t0 = System.nanoTime();
      agent.report(
          "thory",
          new AgentReport(
              "two-hubs-test",
              "24.0",
              "thory-host",
              sent,
              Duration.ofSeconds(30),
              List.of(),
              List.of()));
      long heartbeat = Duration.ofNanos(System.nanoTime() - t0).toMillis();
      BackendSpec spec = new BackendSpec();
      spec.service = "api";
      spec.site = "thory";
      spec.address = "10.200.1.46";
      spec.port = 8080;
      agent.putBackend(
          new HubBackend("thory-agent", Map.of(ManagedBy.LABEL, ManagedBy.agent("thory")), spec));
      long put = Duration.ofNanos(System.nanoTime() - t0).toMillis() - heartbeat;
      // The survivor leads: it probes the new Backend and writes its status and the heartbeat.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> rowCondition("thory-agent", "Ready").equals("True"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  table
                      .get("Site", "thory")
                      .map(row -> row.status().at("/agent/hostName").asText())
                      .orElse("")
                      .equals("thory-host"));
      assertThat(agent.backends()).extracting(HubBackend::name).containsExactly("thory-agent");
      long t1 = System.nanoTime();
      agent.deleteBackend("thory-agent");
      long delete = Duration.ofNanos(System.nanoTime() - t1).toMillis();
      assertThat(table.get("Backend", "thory-agent")).isEmpty();
      System.out.printf(
          "[TwoHubsTestbedIT] agent with --hub %s,%s (the first dead): heartbeat %d ms, first"
              + " Backend PUT %d ms (fails over to %s), then DELETE %d ms%n",
          dead.name(), survivor.name(), heartbeat, put, survivor.name(), delete);
    } finally {
      http.dispatcher().executorService().shutdownNow();
      http.connectionPool().evictAll();
    }
  }

  /** The survivor's dashboard, in a real browser: a badge per hub, the dead one's silent. */
  private static void survivorsDashboardShowsBothHubs(Hub survivor, Hub dead) throws IOException {
    assertThat(HeadlessChromium.available())
        .as("chromium and chromium-driver are installed (bin/test installs them as root)")
        .isTrue();
    try (HeadlessChromium chromium = HeadlessChromium.start(dir, survivor.address())) {
      var browser = chromium.browser();
      browser.get("http://" + survivor.address() + ":7070/ui/");
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(() -> browser.findElement(By.id("token")).isDisplayed());
      browser.findElement(By.id("token")).sendKeys(survivor.token());
      browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> chromium.text("backend-dijon-api").contains(dead.name() + ": HubSilent"));
      String ok = chromium.text(By.cssSelector("#backend-dijon-api .hubs .badge.ok"));
      String silent = chromium.text(By.cssSelector("#backend-dijon-api .hubs .badge.unknown"));
      System.out.printf(
          "[TwoHubsTestbedIT] %s's dashboard, dijon-api's hubs: %s, %s%n",
          survivor.name(), ok, silent);
      assertThat(ok).isEqualTo(survivor.name());
      assertThat(silent).isEqualTo(dead.name() + ": HubSilent");
      assertThat(chromium.text("site-dijon")).contains("Hubs").contains(survivor.name());
      Path shot = Path.of("target", "two-hubs-dashboard.png");
      Files.createDirectories(shot.getParent());
      Files.write(
          shot,
          ((org.openqa.selenium.TakesScreenshot) browser)
              .getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    }
  }

  /** The backends that answered 20 requests through {@code h}'s Caddy. */
  private static java.util.Set<String> answeredBy(Hub h) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (int i = 0; i < 20; i++) {
      try (var r =
          client
              .newCall(new okhttp3.Request.Builder().url(h.url()).header("Host", HOST).build())
              .execute()) {
        out.add(r.code() == 200 ? r.header("X-Backend", "?") : "HTTP " + r.code());
      } catch (IOException e) {
        out.add("failed");
      }
    }
    return out;
  }

  /** The hub's {@code Leader} process condition as {@code status/reason}, or why not known. */
  private static String leader(Hub h) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + h.address() + ":7070/readyz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      for (JsonNode c : JSON.readTree(r.body()).path("conditions")) {
        if ("Leader".equals(c.path("type").asText())) {
          return c.path("status").asText() + "/" + c.path("reason").asText();
        }
      }
      return "no Leader condition";
    } catch (IOException e) {
      return "unreachable";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** A condition's status in the row's status, as the leader wrote it. */
  private static String rowCondition(String backend, String type) {
    return table
        .get("Backend", backend)
        .map(
            row -> {
              for (JsonNode c : row.status().path("conditions")) {
                if (type.equals(c.path("type").asText())) {
                  return c.path("status").asText();
                }
              }
              return "";
            })
        .orElse("");
  }

  /** {@code status.hubs} of a Backend's row, as {@code hub=ready,…} (the writer's hub first). */
  private static String rowHubs(String backend) {
    return table
        .get("Backend", backend)
        .map(
            row -> {
              List<String> out = new ArrayList<>();
              for (JsonNode h : row.status().path("hubs")) {
                out.add(h.path("hub").asText() + "=" + h.path("ready").asText());
              }
              return String.join(",", out);
            })
        .orElse("");
  }

  private static int told(String type, String name) {
    return (int)
        webhooks.stream()
            .filter(
                w -> type.equals(w.path("type").asText()) && name.equals(w.path("name").asText()))
            .count();
  }

  private static List<OpenLoad.Sample> failed(List<OpenLoad.Sample> samples) {
    return samples.stream().filter(OpenLoad.Sample::failed).toList();
  }

  private static Map<String, Integer> outcomes(List<OpenLoad.Sample> samples) {
    Map<String, Integer> by = new TreeMap<>();
    samples.forEach(
        s -> by.merge(s.failed() ? "failed " + s.code() : s.backend(), 1, Integer::sum));
    return by;
  }

  /** The BackendDown/BackendUp events recorded for {@code backend}, oldest first, with counts. */
  private static List<String> events(String backend) {
    return pairs(
        "SELECT reason, count FROM events WHERE object_kind = 'Backend' AND object_name = ?"
            + " AND reason IN ('BackendDown', 'BackendUp') ORDER BY first_seen",
        backend,
        " x");
  }

  /** The health transitions recorded for {@code backend}, oldest first, as from->to. */
  private static List<String> transitions(String backend) {
    return pairs(
        "SELECT from_state, to_state FROM health_transitions WHERE backend = ?"
            + " AND from_state IN ('Healthy', 'Unhealthy') ORDER BY at, id",
        backend,
        "->");
  }

  /** The two columns of each row {@code sql} selects for {@code backend}, joined by {@code sep}. */
  private static List<String> pairs(String sql, String backend, String sep) {
    return db.withConnection(
        "records",
        c -> {
          List<String> out = new ArrayList<>();
          try (var s = c.prepareStatement(sql)) {
            s.setString(1, backend);
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getString(1) + sep + rs.getString(2));
              }
            }
          }
          return out;
        });
  }
}
