package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.testbed.DockerSite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
  private static final String DIJON = AgentFleet.DIJON;
  private static final String THORY = AgentFleet.THORY;
  private static final Path JAR = AgentFleet.JAR;

  @TempDir static Path dir;
  private static AgentFleet fleet;
  private static DockerSite dijon;
  private static DockerSite thory;
  private static Path manifests;

  @BeforeAll
  static void up() throws Exception {
    fleet = new AgentFleet(dir, "SiteAgentsFleetIT", AgentFleet.sites());
    dijon = fleet.dijon;
    thory = fleet.thory;
    manifests = fleet.manifests;
  }

  @AfterAll
  static void down() {
    if (fleet != null) {
      fleet.close();
    }
  }

  private static Process agent(String name, DockerSite site, String address) throws Exception {
    return fleet.agent(name, site, address);
  }

  private static int status(String path) {
    return fleet.status(path);
  }

  private static JsonNode get(String path) throws Exception {
    return fleet.get(path);
  }

  private static String condition(String path, String type) throws Exception {
    return fleet.condition(path, type);
  }

  private static int throughCaddy() {
    return fleet.throughCaddy("/health");
  }

  private static Map<String, String> labels(int port) {
    return Map.of(ContainerLabels.SERVICE, "api", ContainerLabels.PORT, Integer.toString(port));
  }

  private static void print(String what, long fromNanos) {
    fleet.print(what, fromNanos);
  }

  /**
   * Open-loop load through Caddy (50 requests/s, at most 2 minutes) while {@code during} runs;
   * returns the failed requests (answered other than 2xx, or not at all).
   */
  private static long failuresWhile(AgentFleet.ThrowingConsumer during) throws Exception {
    AgentFleet.Load load = fleet.loadWhile(50, "/health", Duration.ofMinutes(2), during);
    LAST_LOAD.set(load.samples().size());
    LAST_FAILURES.set(load.failures());
    return load.failed();
  }

  private static final AtomicInteger LAST_LOAD = new AtomicInteger();
  private static final java.util.concurrent.atomic.AtomicReference<List<String>> LAST_FAILURES =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());

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
    long failedOnRestart =
        failuresWhile(
            load -> {
              fleet.restartHub();
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          fleet.hub.routing().map(r -> r.current()).isPresent()
                              && fleet.hub.routing().orElseThrow().current() != null
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
