package fr.acecinema.switchboard.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.DockerSite;
import fr.acecinema.switchboard.testbed.OpenLoad;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/**
 * Phase II's testbed, real parts only: a hub (the control plane, its API, a real Caddy 2.6.2 on
 * loopback) and two sites, dijon and thory, each a network namespace with its own Docker engine,
 * linked to the hub by a veth pair as WireGuard would, where {@code sbctl agent} runs from the jar
 * (a process of its own). The fleet's manifests are files in a temporary directory: the two Sites,
 * a Service {@code api} ({@code api.acecinema.test}) and whatever a test adds.
 */
final class AgentFleet implements AutoCloseable {
  static final String PREFIX = "/apis/switchboard.acecinema.fr/v1alpha1/";
  static final String DIJON = "169.254.81.2";
  static final String THORY = "169.254.82.2";
  static final String DIJON_HUB_END = "169.254.81.1";
  static final String THORY_HUB_END = "169.254.82.1";
  static final String HOST = "api.acecinema.test";

  /** The jar under test: failsafe runs after {@code package}. */
  static final Path JAR = Path.of("target", "switchboard.jar").toAbsolutePath();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final OkHttpClient LOAD_CLIENT = OpenLoad.client(Duration.ofSeconds(5));

  private final Path dir;
  private final String name;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  final DockerSite dijon;
  final DockerSite thory;
  final Path manifests;
  final OperatorSettings settings;
  final TokenStore tokens;
  private final CaddyProcess caddy;
  private final int caddyPort;
  private final String reader;
  Switchboard hub;
  ApiServer api;
  // The API again on the hub's end of each site's link: agents run inside their site's namespace.
  private final List<ApiServer> linkApis = new ArrayList<>();

  /**
   * Starts the sites (images imported), the hub and its API.
   *
   * @param name prefixes what it prints, e.g. {@code SiteAgentsFleetIT}
   * @param sites the Site manifests (priority included) of dijon and thory
   */
  AgentFleet(Path dir, String name, String sites) throws Exception {
    this.dir = dir;
    this.name = name;
    DockerSite.requireRoot();
    started(new HubLog(name));
    dijon = started(DockerSite.start());
    dijon.link(DIJON_HUB_END, DIJON, 24);
    dijon.importImages();
    thory = started(DockerSite.start());
    thory.link(THORY_HUB_END, THORY, 24);
    thory.importImages();

    manifests = Files.createDirectories(dir.resolve("manifests"));
    new ManifestDir(manifests).write("fleet.yaml", sites + "---\n" + ManifestDir.service("api"));
    caddyPort = CaddyProcess.freePort();
    caddy = started(CaddyProcess.startOnLoopback(null));
    settings =
        OperatorITSupport.loopbackFleet(manifests)
            // The sites are the test's namespaces, on link-local blocks the policy must allow.
            .withSubnets(
                SubnetPolicy.allowing(List.of("127.0.0.0/8", "169.254.81.0/24", "169.254.82.0/24")))
            .withRouting(
                RouterSettings.caddy(caddy.adminUrl(), List.of("127.0.0.1:" + caddyPort), false)
                    // A fixed port, as the product's default: a restarted hub answers where
                    // Caddy already asks, so the restart changes nothing in Caddy's config.
                    .withResolver("127.0.0.1:" + stablePort(), Duration.ofMillis(100)));
    tokens = TokenStore.in(dir.resolve("data"));
    reader = tokens.create("reader", Scope.read).secret();
    // The API's port is picked once the hub runs: the resolver's port, free until then, is taken.
    startHub(0);
  }

  /** Both sites at their default priority. */
  static String sites() {
    return ManifestDir.site("dijon", "169.254.81.0/24")
        + "---\n"
        + ManifestDir.site("thory", "169.254.82.0/24");
  }

  /** Starts the hub, then its API on {@code apiPort} (0: a {@link #stablePort}). */
  private void startHub(int apiPort) throws java.io.IOException {
    hub = Switchboard.start(settings, new SimpleMeterRegistry());
    hub.withApi(tokens, new ManifestDirectoryTarget(manifests, settings.subnets()), () -> "");
    api =
        ApiServer.start(
            ApiServer.Settings.of(
                new InetSocketAddress("127.0.0.1", apiPort == 0 ? stablePort() : apiPort)),
            hub::readiness,
            hub.api());
    for (String hubEnd : List.of(DIJON_HUB_END, THORY_HUB_END)) {
      linkApis.add(
          ApiServer.start(
              // Plain HTTP on the link, as an operator would over WireGuard (--insecure-listen).
              ApiServer.Settings.of(new InetSocketAddress(hubEnd, api.port()))
                  .withInsecureListen(true),
              hub::readiness,
              hub.api()));
    }
  }

  /** Stops the hub and its API and starts them again on the same ports, as an upgrade does. */
  void restartHub() throws Exception {
    restartHub(() -> {});
  }

  /** As {@link #restartHub()}, doing {@code whileDown} while no hub runs. */
  void restartHub(Action whileDown) throws Exception {
    int port = api.port();
    api.close();
    linkApis.forEach(ApiServer::close);
    linkApis.clear();
    hub.close();
    whileDown.run();
    startHub(port);
  }

  /**
   * A free port below the kernel's ephemeral range, as the product's defaults (7053, 7070) are: a
   * port the hub binds again after a restart must not be handed meanwhile to one of the many
   * outgoing connections (probes, load) as its source port, which a port from the ephemeral range
   * can be (seen once in CI: the restarted API could not bind).
   */
  private static int stablePort() throws java.io.IOException {
    int first = 20_000 + (int) (ProcessHandle.current().pid() % 10_000);
    for (int port = first; port < first + 2_000; port++) {
      try (java.net.ServerSocket s = new java.net.ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (java.io.IOException taken) {
        // try the next one
      }
    }
    throw new java.io.IOException("no free port in " + first + "-" + (first + 2_000));
  }

  private <T extends AutoCloseable> T started(T closeable) {
    closeables.add(0, closeable);
    return closeable;
  }

  @Override
  public void close() {
    linkApis.forEach(ApiServer::close);
    if (api != null) {
      api.close();
    }
    if (hub != null) {
      hub.close();
    }
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("[" + name + "] cleanup: " + e);
      }
    }
    keepAgentLogs();
  }

  /** The agents' logs, kept in target/testbed-logs for a failure's post-mortem. */
  private void keepAgentLogs() {
    try (var logs = Files.list(dir)) {
      Path keep = Files.createDirectories(Path.of("target", "testbed-logs"));
      for (Path f : logs.filter(p -> p.getFileName().toString().contains("-agent-")).toList()) {
        Files.copy(
            f,
            keep.resolve(name + "-" + f.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (java.io.IOException e) {
      System.err.println("[" + name + "] agent logs not kept: " + e);
    }
  }

  /**
   * {@code sbctl agent} of {@code site}, as a site runs it: the jar in a process of its own inside
   * the site's network namespace (a cut site's agent loses the hub too), with a token bound to the
   * site, talking to the engine's socket and to the hub's API over the site's link, a heartbeat
   * every second.
   */
  Process agent(String site, DockerSite where, String address) throws Exception {
    String token = tokens.create(site + "-agent-" + System.nanoTime(), Scope.agent, site).secret();
    String hubEnd = where == dijon ? DIJON_HUB_END : THORY_HUB_END;
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/nsenter",
                "--net=/var/run/netns/" + where.namespace(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "agent")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(site + "-agent-" + System.nanoTime() + ".log").toFile());
    pb.environment().clear();
    pb.environment()
        .putAll(
            Map.of(
                "SWITCHBOARD_HUB",
                "http://" + hubEnd + ":" + api.port(),
                "SWITCHBOARD_SITE",
                site,
                "SWITCHBOARD_TOKEN",
                token,
                "SWITCHBOARD_DOCKER_SOCKET",
                where.socket().toString(),
                "SWITCHBOARD_ADVERTISE_ADDRESS",
                address,
                "SWITCHBOARD_AGENT_INTERVAL",
                "1s"));
    Process p = pb.start();
    closeables.add(0, () -> stopped(p));
    return p;
  }

  /** SIGTERM, as systemd stops it; killed if it has not exited within 10 s. */
  private static void stopped(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + PREFIX + path))
        .header("Authorization", "Bearer " + reader)
        .timeout(Duration.ofSeconds(10));
  }

  /** The status code of GET {@code path} on the hub's API; -1 without an answer. */
  int status(String path) {
    try {
      return http.send(request(path).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException | InterruptedException e) {
      return -1;
    }
  }

  /**
   * The resource as the hub's API serves it; empty when it does not (not found, or no answer: the
   * client's pooled connection to the API from before a hub restart is closed, so the first call
   * after one may fail, which a wait then simply retries).
   */
  JsonNode get(String path) throws Exception {
    HttpResponse<String> r;
    try {
      r = http.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      return JSON.createObjectNode();
    }
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
  }

  /** {@code status/reason} of condition {@code type} of {@code path}; {@code none} without it. */
  String condition(String path, String type) throws Exception {
    for (JsonNode c : get(path).at("/status/conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText() + "/" + c.path("reason").asText();
      }
    }
    return "none";
  }

  /**
   * One request through Caddy to the service's {@code path}; its status code, -1 when it failed.
   * OkHttp: the JDK's client refuses to set a Host header.
   */
  int throughCaddy(String path) {
    return answer(path).code();
  }

  /** One request through Caddy: its status code (-1 when it failed) and body. */
  Answer answer(String path) {
    try (okhttp3.Response r =
        LOAD_CLIENT
            .newCall(
                new okhttp3.Request.Builder()
                    .url("http://127.0.0.1:" + caddyPort + path)
                    .header("Host", HOST)
                    .build())
            .execute()) {
      return new Answer(r.code(), r.body() == null ? "" : r.body().string());
    } catch (java.io.IOException e) {
      return new Answer(-1, e.toString());
    }
  }

  /** A status code and body. */
  record Answer(int code, String body) {}

  void print(String what, long fromNanos) {
    System.out.printf(
        "[%s] %-52s %6d ms%n",
        name, what, Duration.ofNanos(System.nanoTime() - fromNanos).toMillis());
  }

  /** What a load run saw. */
  record Load(List<OpenLoad.Sample> samples) {
    long failed() {
      return samples.stream().filter(OpenLoad.Sample::failed).count();
    }

    List<String> failures() {
      return samples.stream()
          .filter(OpenLoad.Sample::failed)
          .map(x -> x.code() + " " + x.backend())
          .toList();
    }

    @Override
    public String toString() {
      return failed() + " failed of " + samples.size() + (failed() > 0 ? " " + failures() : "");
    }
  }

  /**
   * Open-loop load through Caddy ({@code rate} requests/s to {@code path}, at most {@code limit})
   * while {@code during} runs.
   */
  Load loadWhile(int rate, String path, Duration limit, ThrowingConsumer during) throws Exception {
    OpenLoad load =
        OpenLoad.start(LOAD_CLIENT, "http://127.0.0.1:" + caddyPort + path, HOST, rate, limit);
    List<OpenLoad.Sample> samples;
    try {
      during.accept(load);
    } finally {
      // Stopped whatever happened; a failure of the action itself propagates (no return here).
      samples = load.stop(Duration.ofSeconds(10));
    }
    return new Load(samples);
  }

  /** Something a test does, which may throw. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  /** An action under load. */
  @FunctionalInterface
  interface ThrowingConsumer {
    void accept(OpenLoad load) throws Exception;
  }
}
