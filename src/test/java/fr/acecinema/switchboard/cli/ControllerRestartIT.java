package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.LoopbackBackend;
import fr.acecinema.switchboard.testbed.OpenLoad;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub survives its controller: {@code sbctl run} (the real jar) is killed with SIGKILL under an
 * open load of 200 requests/s through a real Caddy, then started again. Caddy keeps serving while
 * it is gone (its routes' static upstreams, since the resolver is gone too), and the new process
 * adopts what Caddy runs: no config load, no status transition, no webhook.
 */
class ControllerRestartIT {
  private static final Path JAR = Path.of("target", "switchboard.jar");

  @TempDir Path temp;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final List<String> webhooks = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    // Both processes' logs, and the manifests as last written, for a failure's post-mortem.
    Path keep = Files.createDirectories(Path.of("target", "testbed-logs"));
    for (String name : List.of("first.log", "second.log", "manifests/fleet.yaml")) {
      Path f = temp.resolve(name);
      if (Files.exists(f)) {
        Files.copy(
            f,
            keep.resolve("ControllerRestartIT-" + f.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
  }

  @Test
  void killingTheControllerUnderLoadFailsNoRequestAndItsRestartReloadsNothingAndReportsNothing()
      throws Exception {
    LoopbackBackend big = LoopbackBackend.start("big");
    LoopbackBackend small = LoopbackBackend.start("small");
    closeables.add(big);
    closeables.add(small);
    CaddyProcess caddy = CaddyProcess.startOnLoopback(null);
    closeables.add(caddy);
    int caddyPort = CaddyProcess.freePort();
    HttpServer hooks =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    hooks.createContext(
        "/",
        ex -> {
          webhooks.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    hooks.start();
    closeables.add(() -> hooks.stop(0));
    Path manifests = Files.createDirectories(temp.resolve("manifests"));
    Files.writeString(
        manifests.resolve("fleet.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata: {name: local}
        spec: {subnet: 127.0.0.0/24}
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata: {name: api}
        spec:
          hosts: [api.test]
          healthCheck: {path: /health}
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata: {name: big}
        spec: {service: api, site: local, address: 127.0.0.1, port: %d, weight: 10}
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata: {name: small}
        spec: {service: api, site: local, address: 127.0.0.1, port: %d, weight: 1}
        """
            .formatted(big.port(), small.port()));
    String[] run = {
      "run",
      "--manifests=" + manifests,
      // The site is the hub's own loopback, refused as a Site subnet unless allowed.
      "--allow-subnets=127.0.0.0/24",
      "--data-dir=" + temp.resolve("var"),
      "--listen=127.0.0.1:" + CaddyProcess.freePort(),
      "--records=off",
      "--caddy-admin=" + caddy.adminUrl(),
      "--caddy-listen=127.0.0.1:" + caddyPort,
      "--caddy-auto-https=off",
      "--caddy-resolver=127.0.0.1:" + CaddyProcess.freePort(),
      "--webhook=http://127.0.0.1:" + hooks.getAddress().getPort() + "/hook",
      "--webhook-secret=restart-drill-secret-0123",
      "--kill-sockets=off"
    };
    Process first = start(run, "first.log");
    OkHttpClient http = OpenLoad.client(Duration.ofSeconds(5));
    closeables.add(() -> http.dispatcher().executorService().shutdownNow());
    String url = "http://127.0.0.1:" + caddyPort + "/r";
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "Serving".equals(reason(manifests, "small", "Ready")));
    await().atMost(Duration.ofSeconds(10)).until(() -> answeredBy(http, url).equals("small"));
    String readySince = transition(manifests, "big", "Ready");
    String healthySince = transition(manifests, "small", "Healthy");
    long loadsBefore = caddy.reloads();
    int webhooksBefore = webhooks.size();

    OpenLoad load = OpenLoad.start(http, url, "api.test", 200, Duration.ofSeconds(20));
    List<OpenLoad.Sample> samples;
    Process second;
    try {
      // Two seconds of load answered (200/s) before the kill.
      await().atMost(Duration.ofSeconds(10)).until(() -> load.snapshot().size() >= 400);
      first.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      long killed = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> load.snapshot().stream().filter(s -> s.start() > killed).count() > 500);
      second = start(run, "second.log");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(temp.resolve("second.log")).contains("API listening"));
      long started = System.nanoTime();
      // Five seconds of load on the new process: its first probes (2 s interval) have answered.
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> load.snapshot().stream().filter(s -> s.start() > started).count() > 1000);
    } finally {
      samples = load.stop(Duration.ofSeconds(7));
    }
    Map<String, Integer> by = new TreeMap<>();
    samples.forEach(
        s -> by.merge(s.failed() ? "failed " + s.code() : s.backend(), 1, Integer::sum));
    System.out.printf(
        "ControllerRestartIT: %d requests %s; Caddy loads since steady %d; webhooks after %d%n",
        samples.size(), by, caddy.reloads() - loadsBefore, webhooks.size() - webhooksBefore);

    assertThat(samples.stream().filter(OpenLoad.Sample::failed).toList()).as("failed").isEmpty();
    assertThat(by.keySet()).containsOnly("big", "small");
    assertThat(caddy.reloads() - loadsBefore).as("Caddy config loads").isZero();
    assertThat(second.isAlive()).isTrue();
    assertThat(Files.readString(temp.resolve("second.log"))).doesNotContain("pushed Caddy");
    // A restart is not a transition: the times the first process wrote stand.
    assertThat(transition(manifests, "big", "Ready")).isEqualTo(readySince);
    assertThat(transition(manifests, "small", "Healthy")).isEqualTo(healthySince);
    assertThat(webhooks.subList(webhooksBefore, webhooks.size())).as("webhooks").isEmpty();
  }

  private Process start(String[] args, String logName) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    pb.redirectErrorStream(true).redirectOutput(temp.resolve(logName).toFile());
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static String answeredBy(OkHttpClient http, String url) {
    try (var r =
        http.newCall(new okhttp3.Request.Builder().url(url).header("Host", "api.test").build())
            .execute()) {
      return r.code() == 200 ? r.body().string().split(" ")[0] : "HTTP " + r.code();
    } catch (IOException e) {
      return "failed";
    }
  }

  private static JsonNode doc(Path manifests, String name) throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    try (var parser = new YAMLFactory().createParser(manifests.resolve("fleet.yaml").toFile())) {
      var it = yaml.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode d = it.next();
        if (d != null && name.equals(d.at("/metadata/name").asText())) {
          return d;
        }
      }
    }
    return null;
  }

  private static JsonNode condition(Path manifests, String name, String type) throws IOException {
    JsonNode d = doc(manifests, name);
    if (d != null) {
      for (JsonNode c : d.at("/status/conditions")) {
        if (type.equals(c.path("type").asText())) {
          return c;
        }
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static String reason(Path manifests, String name, String type) throws IOException {
    return condition(manifests, name, type).path("reason").asText("");
  }

  private static String transition(Path manifests, String name, String type) throws IOException {
    return condition(manifests, name, type).path("lastTransitionTime").asText("");
  }
}
