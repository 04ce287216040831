package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.docker.ContainerLabels;
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
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phase II, part 1, with real parts: a hub (the control plane, its API, a real Caddy) and two
 * sites, each a network namespace with its own Docker engine and its own agent ({@code sbctl agent}
 * from the jar, a process of its own), linked to the hub by a veth pair as WireGuard would.
 * Labelled containers become Backends served through Caddy; a stopped one is drained and removed;
 * an agent that dies is a warning only; a cut site leaves rotation; a restarted agent writes
 * nothing. Prints the times from {@code docker run} to serving through Caddy and from {@code docker
 * stop} to drained, without asserting on them.
 */
class SiteAgentsFleetIT {
  private static final Duration WAIT = Duration.ofSeconds(40);
  private static final String PREFIX = "/apis/switchboard.acecinema.fr/v1alpha1/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DIJON = "169.254.81.2";
  private static final String THORY = "169.254.82.2";

  @TempDir static Path dir;
  private static final List<AutoCloseable> closeables = new ArrayList<>();
  private static DockerSite dijon;
  private static DockerSite thory;
  private static CaddyProcess caddy;
  private static int caddyPort;
  private static Switchboard hub;
  private static ApiServer api;
  private static TokenStore tokens;
  private static Path manifests;
  private static final HttpClient http = HttpClient.newHttpClient();
  private static String reader;
  private static fr.acecinema.switchboard.operator.OperatorSettings settings;

  @BeforeAll
  static void up() throws Exception {
    DockerSite.requireRoot();
    dijon = started(DockerSite.start());
    dijon.link("169.254.81.1", DIJON, 24);
    dijon.importImages();
    thory = started(DockerSite.start());
    thory.link("169.254.82.1", THORY, 24);
    thory.importImages();

    manifests = Files.createDirectories(dir.resolve("manifests"));
    new ManifestDir(manifests)
        .write(
            "fleet.yaml",
            ManifestDir.site("dijon", "169.254.81.0/24")
                + "---\n"
                + ManifestDir.site("thory", "169.254.82.0/24")
                + "---\n"
                + ManifestDir.service("api"));
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
    hub = Switchboard.start(settings, new SimpleMeterRegistry());
    tokens = TokenStore.in(dir.resolve("data"));
    reader = tokens.create("reader", Scope.read).secret();
    hub.withApi(tokens, new ManifestDirectoryTarget(manifests, settings.subnets()), () -> "");
    api =
        ApiServer.start(
            ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", stablePort())),
            hub::readiness,
            hub.api());
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

  private static <T extends AutoCloseable> T started(T closeable) {
    closeables.add(0, closeable);
    return closeable;
  }

  @AfterAll
  static void down() {
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
        System.err.println("[SiteAgentsFleetIT] cleanup: " + e);
      }
    }
  }

  /** The jar under test: failsafe runs after {@code package}. */
  private static final Path JAR = Path.of("target", "switchboard.jar").toAbsolutePath();

  /**
   * {@code sbctl agent} of {@code name}, as a site runs it: the jar in a process of its own, with a
   * token bound to the site, talking to the engine's socket and to the hub's API.
   */
  private static Process agent(String name, DockerSite site, String address) throws Exception {
    String token = tokens.create(name + "-agent-" + System.nanoTime(), Scope.agent, name).secret();
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "agent")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + "-agent-" + System.nanoTime() + ".log").toFile());
    pb.environment().clear();
    pb.environment()
        .putAll(
            Map.of(
                "SWITCHBOARD_HUB",
                "http://127.0.0.1:" + api.port(),
                "SWITCHBOARD_SITE",
                name,
                "SWITCHBOARD_TOKEN",
                token,
                "SWITCHBOARD_DOCKER_SOCKET",
                site.socket().toString(),
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
    if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /** The status code of GET {@code path} on the hub's API; -1 without an answer. */
  private static int status(String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + PREFIX + path))
                  .header("Authorization", "Bearer " + reader)
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (java.io.IOException | InterruptedException e) {
      return -1;
    }
  }

  /**
   * The resource as the hub's API serves it; empty when it does not (not found, or no answer: the
   * client's pooled connection to the API from before a hub restart is closed, so the first call
   * after one may fail, which a wait then simply retries).
   */
  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + PREFIX + path))
                  .header("Authorization", "Bearer " + reader)
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      return JSON.createObjectNode();
    }
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
  }

  private static String condition(String path, String type) throws Exception {
    for (JsonNode c : get(path).at("/status/conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText() + "/" + c.path("reason").asText();
      }
    }
    return "none";
  }

  /**
   * One request through Caddy to the service; its status code, -1 when it failed. OkHttp: the JDK's
   * client refuses to set a Host header.
   */
  private static int throughCaddy() {
    try (okhttp3.Response r =
        LOAD_CLIENT
            .newCall(
                new okhttp3.Request.Builder()
                    .url("http://127.0.0.1:" + caddyPort + "/health")
                    .header("Host", "api.acecinema.test")
                    .build())
            .execute()) {
      return r.code();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private static Map<String, String> labels(int port) {
    return Map.of(ContainerLabels.SERVICE, "api", ContainerLabels.PORT, Integer.toString(port));
  }

  private static void print(String what, long fromNanos) {
    System.out.printf(
        "[SiteAgentsFleetIT] %-52s %6d ms%n",
        what, Duration.ofNanos(System.nanoTime() - fromNanos).toMillis());
  }

  /**
   * Open-loop load through Caddy (50 requests/s, at most 2 minutes) while {@code during} runs;
   * returns the failed requests (answered other than 2xx, or not at all).
   */
  private static long failuresWhile(ThrowingRunnable during) throws Exception {
    OpenLoad load =
        OpenLoad.start(
            LOAD_CLIENT,
            "http://127.0.0.1:" + caddyPort + "/health",
            "api.acecinema.test",
            50,
            Duration.ofMinutes(2));
    List<OpenLoad.Sample> samples;
    try {
      during.run(load);
    } finally {
      // Stopped whatever happened; a failure of the action itself propagates (no return here).
      samples = load.stop(Duration.ofSeconds(10));
    }
    LAST_LOAD.set(samples.size());
    LAST_FAILURES.set(
        samples.stream()
            .filter(OpenLoad.Sample::failed)
            .map(x -> x.code() + " " + x.backend())
            .toList());
    return samples.stream().filter(OpenLoad.Sample::failed).count();
  }

  private static final OkHttpClient LOAD_CLIENT = OpenLoad.client(Duration.ofSeconds(5));
  private static final AtomicInteger LAST_LOAD = new AtomicInteger();
  private static final java.util.concurrent.atomic.AtomicReference<List<String>> LAST_FAILURES =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run(OpenLoad load) throws Exception;
  }

  @Test
  void containersRegisterServeLeaveAndAgentsComeAndGoWithoutFlapping() throws Exception {
    assertThat(JAR).as("run mvn package (failsafe runs after it in mvn verify)").exists();
    agent("dijon", dijon, DIJON);
    Process thoryAgent = agent("thory", thory, THORY);
    // Both agents up (a JVM each) before the containers, so the times below are the agents'.
    await()
        .atMost(WAIT)
        .until(
            () ->
                condition("sites/dijon", "AgentConnected").equals("True/Heartbeating")
                    && condition("sites/thory", "AgentConnected").equals("True/Heartbeating"));

    // Labelled containers become Backends, probed and served through Caddy.
    long ran = System.nanoTime();
    dijon.run("web", DockerSite.IMAGE_WITH_HEALTHCHECK, 18201, labels(18201));
    thory.run("web", DockerSite.IMAGE_WITH_HEALTHCHECK, 18202, labels(18202));
    await()
        .atMost(WAIT)
        .until(
            () ->
                condition("backends/dijon-web", "Ready").equals("True/Serving")
                    && condition("backends/thory-web", "Ready").equals("True/Serving"));
    print("docker run -> both Backends Ready (1 s healthcheck)", ran);
    await().atMost(WAIT).until(() -> throughCaddy() == 200);
    print("docker run -> serving through Caddy", ran);
    assertThat(get("backends/dijon-web").at("/spec/address").asText()).isEqualTo(DIJON);
    assertThat(get("backends/dijon-web").at("/metadata/labels").toString()).contains("agent/dijon");
    await()
        .atMost(WAIT)
        .until(
            () ->
                get("sites/dijon")
                    .at("/status/agent/containers/0/backend")
                    .asText()
                    .equals("dijon-web"));

    // A stopped container is drained, then its Backend is removed; the service keeps answering.
    long[] drained = new long[1];
    long failedOnStop =
        failuresWhile(
            load -> {
              long stop = System.nanoTime();
              dijon.stop("web");
              await()
                  .atMost(WAIT)
                  .pollInterval(Duration.ofMillis(20))
                  .until(() -> status("backends/dijon-web") == 404);
              drained[0] = System.nanoTime() - stop;
            });
    System.out.printf(
        "[SiteAgentsFleetIT] %-52s %6d ms%n",
        "docker stop -> Backend drained and removed", Duration.ofNanos(drained[0]).toMillis());
    System.out.printf(
        "[SiteAgentsFleetIT] failed requests while stopping: %d of %d%n",
        failedOnStop, LAST_LOAD.get());
    assertThat(failedOnStop).isZero();
    dijon.run("web2", DockerSite.IMAGE_WITH_HEALTHCHECK, 18203, labels(18203));
    await()
        .atMost(WAIT)
        .until(() -> condition("backends/dijon-web2", "Ready").equals("True/Serving"));

    // Thory's agent dies (kill -9): a warning on the site, its backend keeps serving.
    thoryAgent.destroyForcibly().waitFor();
    await()
        .atMost(WAIT)
        .until(() -> condition("sites/thory", "AgentConnected").equals("False/HeartbeatMissed"));
    assertThat(condition("sites/thory", "Ready")).isEqualTo("True/BackendsReady");
    assertThat(condition("backends/thory-web", "Ready")).isEqualTo("True/Serving");

    // Thory is cut off: it leaves rotation, dijon answers.
    long cut = System.nanoTime();
    thory.cut();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> condition("sites/thory", "Ready").startsWith("False"));
    print("site cut -> site Ready=False", cut);
    // The next 100 requests all find dijon.
    long failedAfterCut =
        failuresWhile(load -> await().atMost(WAIT).until(() -> load.snapshot().size() >= 100));
    System.out.printf(
        "[SiteAgentsFleetIT] failed requests after the site left: %d of %d%n",
        failedAfterCut, LAST_LOAD.get());
    assertThat(failedAfterCut).isZero();

    // Thory comes back and its agent restarts: it re-adopts its container, writes nothing.
    thory.heal();
    await()
        .atMost(WAIT)
        .until(() -> condition("backends/thory-web", "Ready").equals("True/Serving"));
    Path file =
        manifests.resolve(ManifestDirectoryTarget.DIRECTORY).resolve("backend-thory-web.yaml");
    String before = Files.readString(file);
    var generation = get("backends/thory-web").at("/metadata/generation").asLong();
    agent("thory", thory, THORY);
    await()
        .atMost(WAIT)
        .until(() -> condition("sites/thory", "AgentConnected").equals("True/Heartbeating"));
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                get("backends/thory-web").at("/metadata/generation").asLong() == generation
                    && condition("backends/thory-web", "Ready").equals("True/Serving"));
    assertThat(Files.readString(file)).isEqualTo(before);

    // The hub restarts under load: the Backends the agents registered are files like any other,
    // read back before the first push; Caddy keeps serving; the agents report again.
    int port = api.port();
    long failedOnRestart =
        failuresWhile(
            load -> {
              api.close();
              hub.close();
              hub = Switchboard.start(settings, new SimpleMeterRegistry());
              hub.withApi(
                  tokens, new ManifestDirectoryTarget(manifests, settings.subnets()), () -> "");
              api =
                  ApiServer.start(
                      ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", port)),
                      hub::readiness,
                      hub.api());
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          hub.routing().map(r -> r.current()).isPresent()
                              && hub.routing().orElseThrow().current() != null
                              && condition("sites/thory", "AgentConnected")
                                  .equals("True/Heartbeating")
                              && condition("sites/dijon", "AgentConnected")
                                  .equals("True/Heartbeating"));
            });
    System.out.printf(
        "[SiteAgentsFleetIT] failed requests across a hub restart: %d of %d %s%n",
        failedOnRestart, LAST_LOAD.get(), LAST_FAILURES.get());
    assertThat(failedOnRestart).isZero();
    assertThat(condition("backends/dijon-web2", "Ready")).isEqualTo("True/Serving");
    // The status below is the hub's to refresh; what the agent wrote is untouched.
    assertThat(declared(file)).isEqualTo(declared(before));
  }

  private static String declared(Path file) throws java.io.IOException {
    return declared(Files.readString(file));
  }

  /** The document as its author wrote it: everything above the status the hub writes back. */
  private static String declared(String text) {
    int status = text.indexOf("\nstatus:");
    return status < 0 ? text : text.substring(0, status);
  }
}
