package fr.acecinema.switchboard.caddy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.LoadBalancing.Policy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CaddyConfigBuilderTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Settings TEST = Settings.defaults().withListen(List.of(":8080"), false);

  static RoutedService service(String name, String prefix, List<Tier> tiers) {
    return new RoutedService(
        name,
        List.of("api.acecinema.fr"),
        prefix,
        RoutedService.Balancing.defaults(),
        ResolvedHealthCheck.resolve(null, null),
        tiers,
        tiers.size() > 1);
  }

  static Tier tier(Upstream... upstreams) {
    return new Tier(List.of(upstreams));
  }

  @Test
  void repeatsUpstreamsByWeightDividedByTheirGcd() {
    Tier t = tier(new Upstream("10.200.1.45", 8080, 2), new Upstream("10.200.0.23", 8080, 20));
    List<String> dials =
        CaddyConfigBuilder.copies(t, Policy.RANDOM).stream().map(Upstream::dial).toList();
    assertThat(dials).hasSize(11);
    assertThat(dials.stream().filter("10.200.0.23:8080"::equals)).hasSize(10);
    assertThat(CaddyConfigBuilder.copies(t, Policy.LEAST_CONN)).hasSize(2);
  }

  @Test
  void ordersRoutesLongestPrefixFirstAndEndsWithA404() {
    Tier t = tier(new Upstream("10.200.0.23", 8080, 1));
    ObjectNode server =
        CaddyConfigBuilder.desired(
            List.of(
                service("web", null, List.of(t)),
                service("api", "/api/", List.of(t)),
                service("powersync", "/powersync/", List.of(t))),
            TEST);
    List<String> ids = new ArrayList<>();
    server.get("routes").forEach(r -> ids.add(r.get("@id").asText()));
    assertThat(ids)
        .containsExactly(
            "switchboard-route-powersync",
            "switchboard-route-api",
            "switchboard-route-web",
            "switchboard-not-found");
    assertThat(server.at("/routes/1/match/0/path/0").asText()).isEqualTo("/api/*");
    assertThat(server.at("/routes/2/match/0/path").isMissingNode()).isTrue();
    assertThat(server.at("/routes/3/handle/0/status_code").asInt()).isEqualTo(404);
    assertThat(server.at("/automatic_https/disable").asBoolean()).isTrue();
    assertThat(server.get("@id").asText()).isEqualTo("switchboard-server");
  }

  @Test
  void asksTheResolverForTheBestTierAndTheNextInAnErrorRouteWithoutCaddyHealthChecks() {
    Tier dijon = tier(new Upstream("10.200.0.23", 8080, 1));
    Tier thory = tier(new Upstream("10.200.1.45", 8080, 1));
    ObjectNode server =
        CaddyConfigBuilder.desired(List.of(service("api", "/api/", List.of(dijon, thory))), TEST);
    JsonNode proxy = server.at("/routes/0/handle/0");
    assertThat(proxy.at("/upstreams").toString()).isEqualTo("[{\"dial\":\"10.200.0.23:8080\"}]");
    assertThat(proxy.at("/dynamic_upstreams/source").asText()).isEqualTo("srv");
    assertThat(proxy.at("/dynamic_upstreams/name").asText())
        .isEqualTo("t0.api.svc.switchboard.internal.");
    assertThat(proxy.at("/dynamic_upstreams/refresh").asText()).isEqualTo("100ms");
    assertThat(proxy.at("/dynamic_upstreams/resolver/addresses/0").asText())
        .isEqualTo("tcp/127.0.0.1:7053");
    assertThat(proxy.at("/transport/resolver/addresses/0").asText())
        .isEqualTo("tcp/127.0.0.1:7053");
    assertThat(proxy.at("/load_balancing/try_duration").asText()).isEqualTo("0s");
    assertThat(proxy.at("/transport/dial_timeout").asText()).isEqualTo("1s");
    assertThat(proxy.at("/transport/response_header_timeout").asText()).isEqualTo("2s");
    assertThat(proxy.has("health_checks")).isFalse();
    JsonNode fallback = server.at("/errors/routes/0");
    assertThat(fallback.at("/match/0/expression").asText())
        .isEqualTo("{http.error.status_code} in [502, 503]");
    assertThat(fallback.at("/handle/0/upstreams/0/dial").asText()).isEqualTo("10.200.1.45:8080");
    assertThat(fallback.at("/handle/0/dynamic_upstreams/name").asText())
        .isEqualTo("t1.api.svc.switchboard.internal.");
    assertThat(fallback.at("/handle/0/load_balancing/try_duration").asText()).isEqualTo("5s");
  }

  @Test
  void staticUpstreamsAloneDoNotChangeTheShape() {
    Tier one = tier(new Upstream("10.200.0.23", 8080, 1));
    Tier two = tier(new Upstream("10.200.0.23", 8080, 1), new Upstream("10.200.0.24", 8080, 3));
    ObjectNode a = CaddyConfigBuilder.desired(List.of(service("api", null, List.of(one))), TEST);
    ObjectNode b = CaddyConfigBuilder.desired(List.of(service("api", null, List.of(two))), TEST);
    assertThat(CaddyConfigBuilder.matches(a, b)).isFalse();
    assertThat(CaddyConfigBuilder.matches(CaddyConfigBuilder.shape(a), CaddyConfigBuilder.shape(b)))
        .isTrue();
    assertThat(a.at("/routes/0/handle/0/upstreams")).hasSize(1);
  }

  @Test
  void answersWeightsAsRepeatedRecordsAndKeepsOrderInPriorityForFirst() {
    Tier t = tier(new Upstream("10.200.1.45", 8081, 1), new Upstream("10.200.0.23", 8080, 3));
    List<DnsWire.Srv> random = CaddyConfigBuilder.records(t, Policy.RANDOM);
    assertThat(random).hasSize(4);
    assertThat(random.stream().filter(r -> r.port() == 8080)).hasSize(3);
    assertThat(random.get(0).target()).isEqualTo("10-200-0-23.ip.switchboard.internal.");
    assertThat(random).allMatch(r -> r.priority() == 0);
    List<DnsWire.Srv> first = CaddyConfigBuilder.records(t, Policy.FIRST);
    assertThat(first).extracting(DnsWire.Srv::priority).containsExactly(0, 1);
    assertThat(first).extracting(DnsWire.Srv::port).containsExactly(8080, 8081);
  }

  @Test
  void answers503WhenAServiceHasNoEligibleBackend() {
    ObjectNode server = CaddyConfigBuilder.desired(List.of(service("api", null, List.of())), TEST);
    assertThat(server.at("/routes/0/handle/0/status_code").asInt()).isEqualTo(503);
    assertThat(server.has("errors")).isFalse();
  }

  @Test
  void givesTheSameBytesAndRevisionWhateverTheInputOrder() throws Exception {
    List<RoutedService> services = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      services.add(
          service(
              "svc" + i,
              "/p" + i + "/",
              List.of(
                  tier(
                      new Upstream("10.200.0." + i, 8080, 3), new Upstream("10.200.1." + i, 80, 1)),
                  tier(new Upstream("10.200.2." + i, 8080, 1)))));
    }
    ObjectNode first = CaddyConfigBuilder.desired(services, TEST);
    List<RoutedService> shuffled = new ArrayList<>(services);
    Collections.shuffle(shuffled, new Random(42));
    ObjectNode second = CaddyConfigBuilder.desired(shuffled, TEST);
    assertThat(MAPPER.writeValueAsString(second)).isEqualTo(MAPPER.writeValueAsString(first));
    assertThat(CaddyConfigBuilder.revision(second))
        .isEqualTo(CaddyConfigBuilder.revision(first))
        .hasSize(12);
    ObjectNode other = CaddyConfigBuilder.desired(services.subList(1, 8), TEST);
    assertThat(CaddyConfigBuilder.revision(other)).isNotEqualTo(CaddyConfigBuilder.revision(first));
  }

  @Test
  void matchesWhatCaddyReturnsDespiteKeyOrderAndNumberEncoding() throws Exception {
    JsonNode desired = MAPPER.readTree("{\"a\":1,\"b\":[{\"x\":\"y\"}],\"c\":2.0}");
    JsonNode caddy = MAPPER.readTree("{\"c\":2,\"b\":[{\"x\":\"y\"}],\"a\":1.0,\"d\":null}");
    assertThat(CaddyConfigBuilder.matches(desired, caddy)).isTrue();
    assertThat(CaddyConfigBuilder.matches(desired, MAPPER.readTree("{\"a\":1,\"b\":[],\"c\":2}")))
        .isFalse();
    assertThat(
            CaddyConfigBuilder.matches(
                desired, MAPPER.readTree("{\"a\":1,\"b\":[{\"x\":\"y\"}],\"c\":2,\"e\":1}")))
        .isFalse();
    assertThat(CaddyConfigBuilder.matches(desired, MAPPER.nullNode())).isFalse();
  }
}
