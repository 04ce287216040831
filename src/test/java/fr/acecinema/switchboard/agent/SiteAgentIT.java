package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.docker.DockerJavaEngine;
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
      if (method.equals("GET") && path.equals("sites/lab")) {
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
