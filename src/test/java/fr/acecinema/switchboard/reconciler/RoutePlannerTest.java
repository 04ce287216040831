package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteSpec;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.RoutedService;
import fr.acecinema.switchboard.caddy.Settings;
import fr.acecinema.switchboard.caddy.Tier;
import fr.acecinema.switchboard.caddy.Upstream;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutePlannerTest {
  private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");

  private final List<Site> sites = new ArrayList<>();
  private final List<Service> services = new ArrayList<>();
  private final List<Backend> backends = new ArrayList<>();

  static Site site(String name, String subnet, int priority, boolean maintenance) {
    Site s = new Site();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    s.setSpec(new SiteSpec());
    s.getSpec().subnet = subnet;
    s.getSpec().priority = priority;
    s.getSpec().maintenance = maintenance;
    return s;
  }

  static Service service(String name, String host, String prefix, ServiceSpec.Failover.Mode mode) {
    Service s = new Service();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    s.setSpec(new ServiceSpec());
    s.getSpec().hosts = List.of(host);
    s.getSpec().pathPrefix = prefix;
    if (mode != null) {
      s.getSpec().failover = new ServiceSpec.Failover();
      s.getSpec().failover.mode = mode;
    }
    return s;
  }

  static Backend backend(
      String name, String service, String site, String address, int weight, boolean healthy) {
    Backend b = new Backend();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    b.setSpec(new BackendSpec());
    b.getSpec().service = service;
    b.getSpec().site = site;
    b.getSpec().address = address;
    b.getSpec().port = 8080;
    b.getSpec().weight = weight;
    b.setStatus(new BackendStatus());
    setHealthy(b, healthy);
    return b;
  }

  static void setHealthy(Backend b, boolean healthy) {
    b.getStatus()
        .setCondition(
            new Condition("Healthy", healthy ? Condition.TRUE : Condition.FALSE, "x", "x"), 1, T0);
  }

  private Backend add(Backend b) {
    backends.add(b);
    return b;
  }

  private void twoSites() {
    sites.add(site("dijon", "10.200.0.0/24", 10, false));
    sites.add(site("thory", "10.200.1.0/24", 20, false));
  }

  private Map<String, List<Tier>> previous = Map.of();

  private RoutePlanner.Plan plan() {
    RoutePlanner.Plan p =
        RoutePlanner.plan(services, backends, sites, RoutePlanner::healthy, previous);
    previous = p.answers();
    return p;
  }

  /** The upstreams of the route's static tiers (Caddy's config). */
  private static List<List<String>> dials(RoutedService s) {
    return s.tiers().stream()
        .map(t -> t.upstreams().stream().map(Upstream::dial).toList())
        .toList();
  }

  /** The live tiers the resolver answers for a service. */
  private static List<List<String>> answer(RoutePlanner.Plan p, String service) {
    return p.answers().getOrDefault(service, List.of()).stream()
        .map(t -> t.upstreams().stream().map(Upstream::dial).toList())
        .toList();
  }

  @Test
  void spreadRoutesAllReadyPrimariesTogetherAndStandbysNext() {
    twoSites();
    services.add(service("api", "api.test", null, ServiceSpec.Failover.Mode.SPREAD));
    add(backend("a", "api", "dijon", "10.200.0.2", 10, true));
    add(backend("b", "api", "thory", "10.200.1.2", 1, true));
    add(backend("c", "api", "thory", "10.200.1.3", 1, true)).getSpec().role =
        BackendSpec.Role.STANDBY;
    RoutePlanner.Plan p = plan();
    RoutedService api = p.services().get(0);
    assertThat(dials(api))
        .containsExactly(List.of("10.200.0.2:8080", "10.200.1.2:8080"), List.of("10.200.1.3:8080"));
    assertThat(api.tiers().get(0).upstreams()).contains(new Upstream("10.200.0.2", 8080, 10));
    assertThat(api.fallbackRoute()).isTrue();
    assertThat(answer(p, "api")).isEqualTo(dials(api));
  }

  @Test
  void priorityAnswersTheLowestSitePriorityPrimaryFirstAndTheNextTierBehindIt() {
    twoSites();
    services.add(service("api", "api.test", null, ServiceSpec.Failover.Mode.PRIORITY));
    add(backend("d-standby", "api", "dijon", "10.200.0.3", 1, true)).getSpec().role =
        BackendSpec.Role.STANDBY;
    add(backend("t", "api", "thory", "10.200.1.2", 1, true));
    add(backend("d", "api", "dijon", "10.200.0.2", 1, true));
    RoutePlanner.Plan p = plan();
    assertThat(dials(p.services().get(0)))
        .containsExactly(
            List.of("10.200.0.2:8080"), List.of("10.200.0.3:8080"), List.of("10.200.1.2:8080"));
    assertThat(answer(p, "api"))
        .containsExactly(List.of("10.200.0.2:8080"), List.of("10.200.0.3:8080"));
  }

  @Test
  void drainedBackendAndSiteInMaintenanceLeaveTheAnswerButNotTheRouteShape() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    add(backend("a", "api", "dijon", "10.200.0.2", 1, true)).getSpec().drain = true;
    add(backend("b", "api", "dijon", "10.200.0.3", 1, true));
    add(backend("c", "api", "thory", "10.200.1.2", 1, true));
    Settings settings = Settings.defaults().withListen(List.of(":8080"), false);
    String before = shape(plan(), settings);
    sites.get(1).getSpec().maintenance = true;
    RoutePlanner.Plan p = plan();
    assertThat(answer(p, "api")).containsExactly(List.of("10.200.0.3:8080"));
    assertThat(p.liveBackends()).containsExactly("b");
    assertThat(shape(p, settings)).isEqualTo(before);
  }

  @Test
  void siteWithItsTunnelDownLosesAllItsBackendsAtOnceEvenIfTheyLookHealthy() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    add(backend("a", "api", "dijon", "10.200.0.2", 10, true));
    add(backend("b", "api", "dijon", "10.200.0.3", 10, true));
    add(backend("c", "api", "thory", "10.200.1.2", 1, true));
    Site dijon = sites.get(0);
    dijon.setStatus(new SiteStatus());
    dijon
        .getStatus()
        .setCondition(new Condition("TunnelUp", Condition.FALSE, "HandshakeStale", "x"), 1, T0);
    RoutePlanner.Plan p = plan();
    assertThat(answer(p, "api")).containsExactly(List.of("10.200.1.2:8080"));
    assertThat(p.liveBackends()).containsExactly("c");
    dijon
        .getStatus()
        .setCondition(new Condition("TunnelUp", Condition.TRUE, "HandshakeRecent", "x"), 1, T0);
    assertThat(plan().liveBackends()).containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void backendOutsideItsSiteSubnetOrOnAMissingSiteIsNeverRouted() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    add(backend("a", "api", "dijon", "10.200.1.9", 1, true));
    add(backend("b", "api", "nantes", "10.200.2.2", 1, true));
    RoutePlanner.Plan p = plan();
    assertThat(p.services().get(0).tiers()).isEmpty();
    assertThat(p.answers()).doesNotContainKey("api");
  }

  @Test
  void failingBackendLeavesTheAnswerAtOnceAndComesBackWhenHealthy() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    add(backend("a", "api", "dijon", "10.200.0.2", 1, true));
    Backend b = add(backend("b", "api", "dijon", "10.200.0.3", 1, false));
    assertThat(answer(plan(), "api")).containsExactly(List.of("10.200.0.2:8080"));
    setHealthy(b, true);
    assertThat(answer(plan(), "api"))
        .containsExactly(List.of("10.200.0.2:8080", "10.200.0.3:8080"));
  }

  @Test
  void healthChangesNeverChangeCaddysConfig() {
    twoSites();
    services.add(service("api", "api.test", null, ServiceSpec.Failover.Mode.PRIORITY));
    Backend a = add(backend("a", "api", "dijon", "10.200.0.2", 1, true));
    Backend b = add(backend("b", "api", "thory", "10.200.0.3", 1, true));
    Settings settings = Settings.defaults().withListen(List.of(":8080"), false);
    String revision = revision(plan(), settings);
    for (int flap = 0; flap < 20; flap++) {
      setHealthy(a, flap % 2 == 0);
      setHealthy(b, flap % 3 == 0);
      assertThat(revision(plan(), settings)).as("flap %d", flap).isEqualTo(revision);
    }
  }

  @Test
  void wholeBestTierFailingAnswersTheNextTierWithoutWaiting() {
    twoSites();
    services.add(service("api", "api.test", null, ServiceSpec.Failover.Mode.PRIORITY));
    add(backend("d1", "api", "dijon", "10.200.0.2", 1, false));
    add(backend("d2", "api", "dijon", "10.200.0.3", 1, false));
    add(backend("t", "api", "thory", "10.200.1.2", 1, true));
    RoutePlanner.Plan p = plan();
    assertThat(answer(p, "api")).containsExactly(List.of("10.200.1.2:8080"));
    assertThat(p.liveBackends()).containsExactly("t");
    assertThat(p.lastResort()).isEmpty();
  }

  @Test
  void serviceWithNoLiveBackendKeepsItsPreviousAnswerRatherThanBlackingOut() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    Backend d = add(backend("d", "api", "dijon", "10.200.0.2", 1, false));
    Backend t = add(backend("t", "api", "thory", "10.200.1.2", 1, true));
    assertThat(answer(plan(), "api")).containsExactly(List.of("10.200.1.2:8080"));
    setHealthy(t, false);
    RoutePlanner.Plan p = plan();
    assertThat(answer(p, "api")).containsExactly(List.of("10.200.1.2:8080"));
    assertThat(p.lastResort()).containsExactly("api");
    setHealthy(d, true);
    assertThat(answer(plan(), "api")).containsExactly(List.of("10.200.0.2:8080"));
  }

  @Test
  void serviceThatNeverHadALiveBackendAnswersEveryRoutableOne() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    add(backend("a", "api", "dijon", "10.200.0.2", 1, false));
    add(backend("b", "api", "dijon", "10.200.0.3", 1, false)).getSpec().drain = true;
    RoutePlanner.Plan p = plan();
    assertThat(answer(p, "api")).containsExactly(List.of("10.200.0.2:8080"));
    assertThat(p.liveBackends()).isEmpty();
  }

  @Test
  void servicesSharingAHostAreRoutedLongestPrefixFirst() {
    twoSites();
    services.add(service("web", "app.test", null, null));
    services.add(service("api", "app.test", "/api/", null));
    services.add(service("sync", "app.test", "/api/sync/", null));
    add(backend("w", "web", "dijon", "10.200.0.2", 1, true));
    add(backend("a", "api", "dijon", "10.200.0.3", 1, true));
    add(backend("s", "sync", "dijon", "10.200.0.4", 1, true));
    var server =
        CaddyConfigBuilder.desired(
            plan().services(), Settings.defaults().withListen(List.of(":8080"), false));
    List<String> ids = new ArrayList<>();
    server.get("routes").forEach(r -> ids.add(r.get("@id").asText()));
    assertThat(ids)
        .containsExactly(
            "switchboard-route-sync",
            "switchboard-route-api",
            "switchboard-route-web",
            "switchboard-not-found");
    assertThat(server.at("/routes/0/match/0/path/0").asText()).isEqualTo("/api/sync/*");
  }

  @Test
  void assumeReadyAnswersBackendsThatWereNeverProbed() {
    twoSites();
    services.add(service("api", "api.test", null, null));
    Backend b = add(backend("a", "api", "dijon", "10.200.0.2", 1, false));
    b.setStatus(null);
    RoutePlanner.Plan p = RoutePlanner.plan(services, backends, sites, x -> true, Map.of());
    assertThat(p.answers().get("api"))
        .containsExactly(new Tier(List.of(new Upstream("10.200.0.2", 8080, 1))));
    assertThat(p.lastResort()).isEmpty();
  }

  private static String revision(RoutePlanner.Plan p, Settings settings) {
    return CaddyConfigBuilder.revision(CaddyConfigBuilder.desired(p.services(), settings));
  }

  private static String shape(RoutePlanner.Plan p, Settings settings) {
    return CaddyConfigBuilder.revision(
        CaddyConfigBuilder.shape(CaddyConfigBuilder.desired(p.services(), settings)));
  }
}
