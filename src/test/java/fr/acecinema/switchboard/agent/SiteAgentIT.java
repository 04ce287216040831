package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.docker.ContainerEvent;
import fr.acecinema.switchboard.docker.ContainerEventListener;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.DockerEngine;
import fr.acecinema.switchboard.docker.DockerEngineException;
import fr.acecinema.switchboard.docker.DockerJavaEngine;
import fr.acecinema.switchboard.docker.ReplicaLabels;
import fr.acecinema.switchboard.testbed.DockerSite;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SiteAgent} with a real Docker engine in a site's namespace ({@link DockerSite}) and, in
 * place of the hub, an HTTP server on 127.0.0.1 that keeps the agent API's contract in memory
 * (Backends by name, heartbeats). Prints the times from {@code docker run} to the registration and
 * from {@code docker stop} to the drain and the delete, without asserting on them.
 */
class SiteAgentIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API = "/apis/switchboard.acecinema.fr/v1alpha1/";

  private static DockerSite site;
  private static DockerJavaEngine engine;
  private static HttpServer server;
  private static final Map<String, JsonNode> backends = new TreeMap<>();

  /** "PUT name drain=..." or "DELETE name" with the nanoTime it arrived at. */
  private static final List<Write> writes = new ArrayList<>();

  private static int reports;

  /** The Deployments the hub serves (their status assigns the replicas), as JSON. */
  private static final List<String> deployments = new ArrayList<>();

  /** While true the hub answers 503 to everything, as one that is down. */
  private static volatile boolean hubDown;

  private record Write(String what, long nanos) {}

  @BeforeAll
  static void up() throws IOException {
    DockerSite.requireRoot();
    site = DockerSite.start();
    site.importImages();
    engine = new DockerJavaEngine(site.socket());
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", SiteAgentIT::hub);
    server.start();
  }

  @AfterAll
  static void down() {
    if (server != null) {
      server.stop(0);
    }
    if (engine != null) {
      engine.close();
    }
    if (site != null) {
      site.close();
    }
  }

  /** The hub's side of the contract, in memory. */
  private static void hub(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath().substring(API.length());
    String method = x.getRequestMethod();
    byte[] in = x.getRequestBody().readAllBytes();
    int status = 200;
    String out = "{}";
    synchronized (backends) {
      if (hubDown) {
        status = 503;
      } else if (method.equals("GET") && path.equals("deployments")) {
        out = "{\"kind\":\"DeploymentList\",\"items\":[" + String.join(",", deployments) + "]}";
      } else if (method.equals("GET") && path.equals("sites/lab")) {
        out = "{\"kind\":\"Site\",\"spec\":{\"subnet\":\"127.0.0.0/8\"}}";
      } else if (method.equals("GET") && path.equals("backends")) {
        ObjectNode list = JSON.createObjectNode();
        backends.values().forEach(b -> list.withArray("items").add(b));
        out = list.toString();
      } else if (method.equals("PUT") && path.startsWith("backends/")) {
        JsonNode b = JSON.readTree(in);
        String name = path.substring("backends/".length());
        backends.put(name, b);
        writes.add(
            new Write(
                "PUT " + name + " drain=" + b.path("spec").path("drain").asBoolean(),
                System.nanoTime()));
      } else if (method.equals("DELETE") && path.startsWith("backends/")) {
        String name = path.substring("backends/".length());
        status = backends.remove(name) == null ? 404 : 200;
        writes.add(new Write("DELETE " + name, System.nanoTime()));
      } else if (method.equals("PUT") && path.equals("sites/lab/agent")) {
        reports++;
        status = 204;
        out = "";
      } else {
        status = 404;
      }
    }
    byte[] body = out.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(body);
    }
  }

  private static SiteAgent agent() {
    SiteAgent agent =
        new SiteAgent(
            new SiteAgent.Settings(
                "lab", Optional.empty(), Duration.ofSeconds(1), Duration.ofSeconds(30), "it"),
            engine,
            new HttpHubClient(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                "agent-token",
                new OkHttpClient()),
            Clock.systemUTC(),
            () -> List.of("127.0.0.1"));
    agent.start(() -> {});
    return agent;
  }

  /** Serves {@code json} as the only Deployment; none when null. */
  private static void deployment(String json) {
    synchronized (backends) {
      deployments.clear();
      if (json != null) {
        deployments.add(json);
      }
    }
  }

  /** Deployment api, drained for 2 s, whose status assigns {@code replicas} (JSON objects). */
  private static String api(String... replicas) {
    return """
        {"apiVersion":"switchboard.acecinema.fr/v1alpha1","kind":"Deployment",
         "metadata":{"name":"api"},
         "spec":{"service":"api","image":"%s","port":18093,"drainPeriod":"2s"},
         "status":{"current":{"revision":1,"hash":"r1","image":"%s","port":18093},
                   "replicas":[%s]}}
        """
        .formatted(DockerSite.IMAGE, DockerSite.IMAGE, String.join(",", replicas));
  }

  /** A replica of site lab serving on {@code port}; the primary holds a lease of 3 s. */
  private static String replica(String name, int port, boolean primary) {
    return """
        {"name":"%s","site":"lab","service":"api","revision":1,"image":"%s","port":%d,
         "env":{"PORT":"%d"}%s}
        """
        .formatted(
            name,
            DockerSite.IMAGE,
            port,
            port,
            primary ? ",\"primary\":true,\"lease\":\"3s\"" : "");
  }

  private static Optional<DockerContainer> container(String name) throws DockerEngineException {
    return engine.containers().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  private static DockerContainer.State state(String name) throws DockerEngineException {
    return container(name).map(DockerContainer::state).orElse(null);
  }

  private static void removeQuietly(String name) {
    try {
      site.remove(name);
    } catch (RuntimeException alreadyGone) {
      // the agent removed it
    }
  }

  @Test
  void anAssignedReplicaRunsAndRegistersThenUnassignedItIsDrainedStoppedRemovedAndDeleted()
      throws Exception {
    deployment(api(replica("api-r1-1", 18093, false)));
    // When the stop signal is sent: the drain period runs before it.
    AtomicLong killed = new AtomicLong();
    ContainerEventListener kills =
        new ContainerEventListener() {
          @Override
          public void onEvent(ContainerEvent e) {
            if (e.action() == ContainerEvent.Action.KILL && e.name().equals("api-r1-1")) {
              killed.compareAndSet(0, System.nanoTime());
            }
          }

          @Override
          public void onEnd(End end) {}
        };
    SiteAgent agent = agent();
    try (DockerEngine.Subscription ignored = engine.events(kills)) {
      long assigned = System.nanoTime();
      await().atMost(WAIT).until(() -> writes().contains("PUT lab-api-r1-1 drain=false"));
      report("assigned -> container registered", assigned, when("PUT lab-api-r1-1 drain=false"));
      Map<String, String> labels = container("api-r1-1").orElseThrow().labels();
      assertThat(labels)
          .containsEntry(ReplicaLabels.DEPLOYMENT, "api")
          .containsEntry(ReplicaLabels.REPLICA, "api-r1-1");
      // It listens on 18093 (its PORT) on the agent's bridge; the agent published that on the
      // first free port of its range on the advertise address, and registered that port.
      int published = Integer.parseInt(labels.get(ContainerLabels.PORT));
      assertThat(published).isBetween(30_000, 32_767);
      assertThat(writes()).contains("PUT lab-api-r1-1 drain=false");
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> assertThat(site.fetch(published, "/health").output()).isEqualTo("ok\n"));

      long unassigned = System.nanoTime();
      deployment(api());
      await().atMost(WAIT).until(() -> writes().contains("DELETE lab-api-r1-1"));
      assertThat(writes())
          .containsSubsequence(
              "PUT lab-api-r1-1 drain=false", "PUT lab-api-r1-1 drain=true", "DELETE lab-api-r1-1");
      assertThat(state("api-r1-1")).isNull();
      // Drained for the whole drain period (2 s) before the stop signal.
      assertThat(killed.get()).isPositive();
      assertThat(Duration.ofNanos(killed.get() - when("PUT lab-api-r1-1 drain=true")))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      report("unassigned -> drained", unassigned, when("PUT lab-api-r1-1 drain=true"));
      report("drained -> stop signal", when("PUT lab-api-r1-1 drain=true"), killed.get());
      report(
          "unassigned -> deleted (2 s drain, 10 s stop)", unassigned, when("DELETE lab-api-r1-1"));
    } finally {
      agent.close();
      deployment(null);
      removeQuietly("api-r1-1");
    }
  }

  @Test
  void aPrimaryIsStoppedWhenTheHubIsUnreachableLongerThanItsLeaseAndStartedWhenItIsBack()
      throws Exception {
    deployment(api(replica("api-r1-2", 18094, true), replica("api-r1-3", 18095, false)));
    SiteAgent agent = agent();
    try {
      await().atMost(WAIT).until(() -> state("api-r1-2") == DockerContainer.State.RUNNING);
      await().atMost(WAIT).until(() -> state("api-r1-3") == DockerContainer.State.RUNNING);

      long cut = System.nanoTime();
      hubDown = true;
      await().atMost(WAIT).until(() -> state("api-r1-2") == DockerContainer.State.EXITED);
      long fenced = System.nanoTime();
      assertThat(Duration.ofNanos(fenced - cut)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
      assertThat(state("api-r1-3")).isEqualTo(DockerContainer.State.RUNNING);
      report("hub down -> primary stopped (3 s lease, 10 s stop)", cut, fenced);

      long back = System.nanoTime();
      hubDown = false;
      await().atMost(WAIT).until(() -> state("api-r1-2") == DockerContainer.State.RUNNING);
      report("hub back -> primary started again", back, System.nanoTime());
    } finally {
      hubDown = false;
      agent.close();
      deployment(null);
      removeQuietly("api-r1-2");
      removeQuietly("api-r1-3");
    }
  }

  private static List<String> writes() {
    synchronized (backends) {
      return writes.stream().map(Write::what).toList();
    }
  }

  private static long when(String what) {
    synchronized (backends) {
      return writes.stream().filter(w -> w.what().equals(what)).findFirst().orElseThrow().nanos();
    }
  }

  private static int reports() {
    synchronized (backends) {
      return reports;
    }
  }

  private static void report(String what, long fromNanos, long toNanos) {
    System.out.printf(
        "[SiteAgentIT] %-48s %6d ms%n", what, Duration.ofNanos(toNanos - fromNanos).toMillis());
  }

  @Test
  void aHealthyContainerIsRegisteredDrainedOnStopThenDeletedAndARestartedAgentWritesNothing() {
    Map<String, String> labelsA =
        Map.of(ContainerLabels.SERVICE, "api", ContainerLabels.PORT, "18091");
    Map<String, String> labelsB =
        Map.of(ContainerLabels.SERVICE, "api", ContainerLabels.PORT, "18092");
    SiteAgent first = agent();
    try {
      long ran = System.nanoTime();
      site.run("web-a", DockerSite.IMAGE_WITH_HEALTHCHECK, 18091, labelsA);
      site.run("web-b", DockerSite.IMAGE, 18092, labelsB);
      await().atMost(WAIT).until(() -> writes().contains("PUT lab-web-a drain=false"));
      await().atMost(WAIT).until(() -> writes().contains("PUT lab-web-b drain=false"));
      report("docker run -> registered (healthcheck 1 s)", ran, when("PUT lab-web-a drain=false"));
      report("docker run -> registered (no healthcheck)", ran, when("PUT lab-web-b drain=false"));

      long stopAsked = System.nanoTime();
      site.stop("web-a");
      await().atMost(WAIT).until(() -> writes().contains("DELETE lab-web-a"));
      assertThat(writes())
          .containsSubsequence(
              "PUT lab-web-a drain=false", "PUT lab-web-a drain=true", "DELETE lab-web-a");
      report("docker stop -> drained", stopAsked, when("PUT lab-web-a drain=true"));
      report("docker stop -> deleted (1 s stop timeout)", stopAsked, when("DELETE lab-web-a"));
    } finally {
      first.close();
    }

    // A new agent finds web-b registered as it should be: heartbeats, no write.
    int writesBefore = writes().size();
    int reportsBefore = reports();
    SiteAgent second = agent();
    try {
      await().atMost(WAIT).until(() -> reports() >= reportsBefore + 3);
      assertThat(writes()).hasSize(writesBefore);
    } finally {
      second.close();
      site.remove("web-a");
      site.remove("web-b");
    }
  }
}
