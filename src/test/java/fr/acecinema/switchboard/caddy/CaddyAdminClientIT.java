package fr.acecinema.switchboard.caddy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.LoadBalancing.Policy;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.LoopbackBackend;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CaddyAdminClient and CaddyConfigBuilder against a real Caddy 2.6.2 on loopback. */
class CaddyAdminClientIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final OkHttpClient HTTP = new OkHttpClient();

  private final int userPort = CaddyProcess.freePort();
  private final int ourPort = CaddyProcess.freePort();
  private LoopbackBackend dijon;
  private LoopbackBackend thory;
  private CaddyProcess caddy;
  private CaddyAdminClient client;
  private ObjectNode userApps;

  @BeforeEach
  void start() throws Exception {
    dijon = LoopbackBackend.start("dijon");
    thory = LoopbackBackend.start("thory");
    // Someone else's server, which Switchboard must leave alone.
    userApps =
        (ObjectNode)
            MAPPER.readTree(
                "{\"http\":{\"servers\":{\"user\":{\"listen\":[\"127.0.0.1:"
                    + userPort
                    + "\"],\"routes\":[{\"@id\":\"user-route\",\"handle\":[{\"handler\":"
                    + "\"static_response\",\"body\":\"user site\"}]}]}}}}");
    caddy = CaddyProcess.startOnLoopback(userApps.deepCopy());
    client = new CaddyAdminClient(HTTP, caddy.adminUrl());
  }

  @AfterEach
  void stop() {
    if (caddy != null) {
      caddy.close();
    }
    dijon.close();
    thory.close();
  }

  private Settings settings() {
    return Settings.defaults().withListen(List.of("127.0.0.1:" + ourPort), false);
  }

  private RoutedService service(String name, String prefix, List<Tier> tiers) {
    return new RoutedService(
        name,
        List.of("api.acecinema.fr"),
        prefix,
        RoutedService.Balancing.defaults(),
        ResolvedHealthCheck.resolve(null, null),
        tiers,
        tiers.size() > 1);
  }

  private Upstream up(LoopbackBackend b, int weight) {
    return new Upstream("127.0.0.1", b.port(), weight);
  }

  private String[] get(String host, String path) throws IOException {
    Request req =
        new Request.Builder()
            .url("http://127.0.0.1:" + ourPort + path)
            .header("Host", host)
            .build();
    try (Response resp = HTTP.newCall(req).execute()) {
      return new String[] {Integer.toString(resp.code()), resp.body().string()};
    }
  }

  @Test
  void loadsOurServerAndLeavesTheUserServerUntouched() throws Exception {
    ObjectNode desired =
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(dijon, 1)))))), settings());

    assertThat(client.apply(Settings.SERVER_NAME, desired)).isTrue();

    assertThat(get("api.acecinema.fr", "/x")[1]).isEqualTo("dijon /x\n");
    JsonNode whole = client.config();
    assertThat(
            CaddyConfigBuilder.matches(
                userApps.at("/http/servers/user"), whole.at("/apps/http/servers/user")))
        .isTrue();
    assertThat(CaddyConfigBuilder.matches(desired, client.server(Settings.SERVER_NAME).value()))
        .isTrue();
    Request user = new Request.Builder().url("http://127.0.0.1:" + userPort + "/").build();
    try (Response resp = HTTP.newCall(user).execute()) {
      assertThat(resp.body().string()).isEqualTo("user site");
    }
  }

  @Test
  void pushesOnlyOnDrift() throws Exception {
    ObjectNode one =
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(dijon, 1)))))), settings());
    ObjectNode two =
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(thory, 1)))))), settings());

    ObjectNode three =
        CaddyConfigBuilder.desired(
            List.of(service("api", "/y", List.of(new Tier(List.of(up(thory, 1)))))), settings());

    assertThat(client.apply(Settings.SERVER_NAME, one)).isTrue();
    assertThat(client.apply(Settings.SERVER_NAME, one)).isFalse();
    // Static upstreams alone (used only while the resolver is down) are no reason for a reload.
    assertThat(client.apply(Settings.SERVER_NAME, two)).isFalse();
    assertThat(client.apply(Settings.SERVER_NAME, three)).isTrue();
    // No resolver runs here: Caddy routes by the static upstreams.
    assertThat(get("api.acecinema.fr", "/y")[1]).isEqualTo("thory /y\n");
  }

  @Test
  void createsOurServerOnAnEmptyCaddyAndAfterARestart() throws Exception {
    caddy.close();
    caddy = CaddyProcess.startOnLoopback(null);
    client = new CaddyAdminClient(HTTP, caddy.adminUrl());
    ObjectNode desired =
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(thory, 1)))))), settings());

    assertThat(client.apply(Settings.SERVER_NAME, desired)).isTrue();
    assertThat(get("api.acecinema.fr", "/z")[1]).isEqualTo("thory /z\n");
    assertThat(client.config().at("/admin/listen").asText()).startsWith("127.0.0.1:");
  }

  @Test
  void reportsCaddysMessageWhenItRefusesAndKeepsServingTheOldConfig() throws Exception {
    ObjectNode good =
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(dijon, 1)))))), settings());
    client.apply(Settings.SERVER_NAME, good);
    ObjectNode bad = good.deepCopy();
    bad.put("bogus_field", 1);

    assertThatThrownBy(() -> client.apply(Settings.SERVER_NAME, bad))
        .isInstanceOf(CaddyException.Rejected.class)
        .hasMessageContaining("unknown field \"bogus_field\"");
    assertThat(get("api.acecinema.fr", "/still")[1]).isEqualTo("dijon /still\n");
  }

  @Test
  void failsWithUnreachableWhenNoCaddyListens() {
    CaddyAdminClient nobody =
        new CaddyAdminClient(HTTP, "http://127.0.0.1:" + CaddyProcess.freePort());
    assertThatThrownBy(nobody::config)
        .isInstanceOf(CaddyException.Unreachable.class)
        .hasMessageContaining("is Caddy running");
  }

  private Map<String, Integer> split(RoutedService.Balancing balancing) throws Exception {
    RoutedService svc =
        new RoutedService(
            "api",
            List.of("api.acecinema.fr"),
            null,
            balancing,
            ResolvedHealthCheck.resolve(null, null),
            List.of(new Tier(List.of(up(dijon, 10), up(thory, 1)))),
            false);
    client.apply(Settings.SERVER_NAME, CaddyConfigBuilder.desired(List.of(svc), settings()));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      counts.merge(get("api.acecinema.fr", "/w")[1].split(" ")[0], 1, Integer::sum);
    }
    System.out.println(balancing.policy() + " weights 10/1 over 1000 requests: " + counts);
    return counts;
  }

  @Test
  void splitsTrafficByWeightTenToOne() throws Exception {
    RoutedService.Balancing d = RoutedService.Balancing.defaults();
    // Expected 909/91; +-10% of each share with round_robin (deterministic), of the major share
    // with random (thory's 91 has a standard deviation of 9 over 1000 draws).
    Map<String, Integer> rr =
        split(
            new RoutedService.Balancing(
                Policy.ROUND_ROBIN,
                d.tryDuration(),
                d.tryInterval(),
                d.dialTimeout(),
                d.responseTimeout()));
    assertThat(rr.get("dijon")).isBetween(818, 1000);
    assertThat(rr.get("thory")).isBetween(82, 100);
    Map<String, Integer> random = split(d);
    assertThat(random.get("dijon")).isBetween(818, 999);
    assertThat(random.get("dijon") + random.get("thory")).isEqualTo(1000);
  }

  @Test
  void routesByLongestPrefixAndAnswers404ForUnknownPathsAndHosts() throws Exception {
    client.apply(
        Settings.SERVER_NAME,
        CaddyConfigBuilder.desired(
            List.of(
                service("web", "/", List.of(new Tier(List.of(up(thory, 1))))),
                service("api", "/api/", List.of(new Tier(List.of(up(dijon, 1)))))),
            settings()));

    assertThat(get("api.acecinema.fr", "/api/v1")[1]).isEqualTo("dijon /api/v1\n");
    assertThat(get("api.acecinema.fr", "/index.html")[1]).isEqualTo("thory /index.html\n");
    assertThat(get("unknown.example", "/api/v1")[0]).isEqualTo("404");
  }

  @Test
  void nextTierServesWhenTheBestTierIsDead() throws Exception {
    Upstream dead = new Upstream("127.0.0.1", CaddyProcess.freePort(), 1);
    client.apply(
        Settings.SERVER_NAME,
        CaddyConfigBuilder.desired(
            List.of(
                service(
                    "api",
                    null,
                    List.of(new Tier(List.of(dead)), new Tier(List.of(up(thory, 1)))))),
            settings()));

    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      String[] r = get("api.acecinema.fr", "/f" + i);
      assertThat(r[0]).isEqualTo("200");
      assertThat(r[1]).isEqualTo("thory /f" + i + "\n");
    }
    System.out.printf(
        "dead best tier: 20 requests served by the next tier in %d ms%n",
        (System.nanoTime() - start) / 1_000_000);
  }

  @Test
  void upstreamsListsWhatCaddyProxiesTo() throws Exception {
    client.apply(
        Settings.SERVER_NAME,
        CaddyConfigBuilder.desired(
            List.of(service("api", null, List.of(new Tier(List.of(up(dijon, 1)))))), settings()));
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(client.upstreams().toString()).contains("127.0.0.1:" + dijon.port()));
  }
}
