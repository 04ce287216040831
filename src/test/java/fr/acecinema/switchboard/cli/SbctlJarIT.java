package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.it.TestBackends;
import fr.acecinema.switchboard.manifest.AtomicFiles;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code target/switchboard.jar} as a user runs it: {@code sbctl run} in the background on
 * a temporary directory with real loopback backends, and every other command as a separate process
 * against it. Failsafe runs after {@code package}, so the jar is the one just built.
 */
class SbctlJarIT {
  private static final Path JAR = Path.of("target", "switchboard.jar");
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;
  private Path manifests;
  private Path log;
  private int port;
  private Process run;
  private final List<Process> processes = new ArrayList<>();
  private final TestBackends backends = new TestBackends();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One finished command. */
  private record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    assertThat(JAR)
        .as("the jar under test; run 'mvn package' (failsafe runs after it in 'mvn verify')")
        .isRegularFile();
    manifests = Files.createDirectory(temp.resolve("manifests"));
    log = temp.resolve("run.log");
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    backends.close();
    http.close();
  }

  @Test
  void behavesLikeKubectlAgainstARunningControlPlane() throws Exception {
    TestBackends.Backend backend = backends.start("x", "127.0.30.2", 0);
    Path good = write("good.yaml", fleet(backend.port));
    Path bad =
        write(
            "bad.yaml",
            """
            apiVersion: switchboard.acecinema.fr/v1alpha1
            kind: Backend
            metadata:
              name: y
            spec:
              service: web
              site: s
              address: 127.0.30.3
              port: 70000
            """);

    run = start("run", "--manifests", manifests.toString(), "--listen", "127.0.0.1:" + port);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(run.isAlive()).as("sbctl run died:\n%s", readLog()).isTrue();
              assertThat(status("/healthz")).isEqualTo(200);
              assertThat(status("/readyz")).isEqualTo(200);
            });

    Result applied = sbctl("apply", "-f", good.toString());
    assertThat(applied.code()).as("%s", applied).isZero();
    assertThat(applied.out())
        .as("%s", applied)
        .contains("site/s created", "service/web created", "backend/x created");

    Result refused = sbctl("apply", "-f", bad.toString());
    assertThat(refused.code()).as("%s", refused).isEqualTo(1);
    assertThat(refused.err())
        .as("names the file, the field and the fix")
        .contains("bad.yaml", "spec.port", "between 1 and 65535", "nothing was applied");
    assertThat(manifests.resolve("bad.yaml")).doesNotExist();

    Result ready = sbctl("wait", "backend/x", "--for=condition=Ready", "--timeout=30s");
    assertThat(ready.code()).as("%s\n--- run log\n%s", ready, readLog()).isZero();

    Result json = sbctl("get", "backends", "-o", "json");
    assertThat(json.code()).as("%s", json).isZero();
    JsonNode list = JSON.readTree(json.out());
    assertThat(list.path("kind").asText()).isEqualTo("List");
    JsonNode item = list.path("items").get(0);
    assertThat(item.at("/metadata/name").asText()).isEqualTo("x");
    assertThat(condition(item, "Ready").path("status").asText()).isEqualTo("True");

    Result described = sbctl("describe", "backend/x");
    assertThat(described.code()).as("%s", described).isZero();
    assertThat(described.out())
        .as("%s", described)
        .containsPattern("Source: +good\\.yaml:\\d+ \\(document 3\\)")
        .containsPattern("Ready: +True")
        .contains("Spec:\n  service: web\n", "Status:\n", "Conditions:\n")
        .containsPattern("Ready +True +\\w+ +\\d+s");

    Result all = sbctl("get", "all");
    assertThat(all.code()).as("%s", all).isZero();
    assertThat(all.out().split("\n\n")).as("%s", all).hasSize(3);
    assertThat(all.out())
        .contains("site/s", "service/web", "backend/x")
        .doesNotContain("<unknown>");

    Files.writeString(manifests.resolve("broken.yaml"), "kind: Backend\nmetadata: [x\n  name: y\n");
    Result withBroken = sbctl("get", "backends");
    assertThat(withBroken.code()).as("%s", withBroken).isZero();
    assertThat(withBroken.out())
        .as("%s", withBroken)
        .containsPattern("(?m)^x +True")
        .containsPattern(
            "(?m)^<broken\\.yaml:\\d+> +False +YamlSyntaxError +broken\\.yaml:\\d+:\\d+:");

    Result deleted = sbctl("delete", "backend/x");
    assertThat(deleted.code()).as("%s", deleted).isZero();
    assertThat(deleted.out()).isEqualTo("backend/x deleted\n");
    Result gone = sbctl("wait", "backend/x", "--for=delete", "--timeout=10s");
    assertThat(gone.code()).as("%s", gone).isZero();
    assertThat(Files.readString(manifests.resolve("good.yaml"))).doesNotContain("name: x");
    Result emptied = sbctl("wait", "service/web", "--for=condition=Ready=False", "--timeout=30s");
    assertThat(emptied.code())
        .as("the service notices its only backend left\n%s", emptied)
        .isZero();

    assertThat(sbctl("validate", "-f", good.toString()).code()).isZero();
    Result invalid = sbctl("validate", "-f", bad.toString());
    assertThat(invalid.code()).as("%s", invalid).isEqualTo(1);
    assertThat(invalid.err()).contains("bad.yaml", "spec.port");

    for (String[] usage :
        List.of(
            new String[] {},
            new String[] {"get", "pods"},
            new String[] {"wait", "backend/x", "--for=bogus"},
            new String[] {"get", "be", "-o", "xml"})) {
      Result r = sbctl(usage);
      assertThat(r.code()).as("sbctl %s\n%s", String.join(" ", usage), r).isEqualTo(2);
      assertThat(r.err()).contains("error: ", "--help");
    }

    assertThat(run.isAlive()).as("a syntax error must not stop the control plane").isTrue();
    run.destroy(); // SIGTERM
    assertThat(run.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s").isTrue();
    assertThat(run.exitValue()).as("exit code after SIGTERM\n%s", readLog()).isZero();
    assertThat(readLog()).contains("stopped");
    try (Stream<Path> files = Files.list(manifests)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no temporary file left behind by an interrupted status write")
          .noneMatch(AtomicFiles::isTemporary);
    }
    List<JsonNode> docs = documents(manifests.resolve("good.yaml"));
    assertThat(docs).extracting(d -> d.path("kind").asText()).containsExactly("Site", "Service");
    for (JsonNode d : docs) {
      assertThat(condition(d, "Accepted").path("status").asText())
          .as("status of %s", d.path("kind"))
          .isEqualTo("True");
      assertThat(condition(d, "Ready").isMissingNode()).as("Ready of %s", d.path("kind")).isFalse();
    }
    assertThat(condition(docs.get(1), "Ready").path("status").asText())
        .as("the last status written before SIGTERM is in the file")
        .isEqualTo("False");
  }

  /**
   * SIGTERM to a real {@code sbctl run}: for the grace period {@code /readyz} answers 503 (Ready
   * False, Stopping) while {@code /healthz} still answers 200; only then does the port close, and
   * the process exits 0. Before the grace period existed the port closed within a millisecond.
   */
  @Test
  void readyzAnswers503AfterSigtermUntilTheGracePeriodEndsThenThePortCloses() throws Exception {
    Duration grace = Duration.ofSeconds(3);
    run =
        start(
            "run",
            "--manifests",
            manifests.toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--records=off",
            "--caddy-sync=off",
            "--shutdown-grace",
            grace.toSeconds() + "s");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(run.isAlive()).as("sbctl run died:\n%s", readLog()).isTrue();
              assertThat(status("/readyz")).isEqualTo(200);
            });

    long signalled = System.nanoTime();
    run.destroy(); // SIGTERM
    long first503 = -1;
    long last503 = -1;
    long closed = -1;
    JsonNode stoppingBody = null;
    List<Integer> healthzDuringGrace = new ArrayList<>();
    // Polls every 20 ms, for 20 s at most, until the port is closed.
    long limit = signalled + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < limit) {
      HttpResponse<String> readyz = get("/readyz");
      long now = System.nanoTime() - signalled;
      if (readyz == null) {
        closed = now;
        break;
      }
      if (readyz.statusCode() == 503) {
        if (first503 < 0) {
          first503 = now;
          stoppingBody = JSON.readTree(readyz.body());
          healthzDuringGrace.add(status("/healthz"));
        }
        last503 = now;
      }
      // Sampling /readyz every 20 ms draws its timeline through the stop; it waits for nothing.
      Thread.sleep(20);
    }
    String timeline =
        "SIGTERM +0 ms, first 503 +%d ms, last 503 +%d ms, port closed +%d ms\n%s"
            .formatted(first503 / 1_000_000, last503 / 1_000_000, closed / 1_000_000, readLog());
    assertThat(first503).as("a 503 from /readyz after SIGTERM; %s", timeline).isNotNegative();
    assertThat(closed).as("the port closes; %s", timeline).isGreaterThan(last503);
    assertThat(Duration.ofNanos(closed))
        .as("the port stays open for the grace period; %s", timeline)
        .isGreaterThanOrEqualTo(grace);
    assertThat(Duration.ofNanos(last503 - first503))
        .as("503 answered for most of the grace period; %s", timeline)
        .isGreaterThanOrEqualTo(grace.dividedBy(2));
    assertThat(stoppingBody.path("status").asText()).isEqualTo("not ready");
    JsonNode ready = stoppingBody.path("conditions").get(0);
    assertThat(ready.path("type").asText()).isEqualTo("Ready");
    assertThat(ready.path("status").asText()).isEqualTo("False");
    assertThat(ready.path("reason").asText()).isEqualTo("Stopping");
    assertThat(healthzDuringGrace).as("/healthz during the grace").containsExactly(200);

    assertThat(run.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s").isTrue();
    assertThat(run.exitValue()).as("exit code after SIGTERM\n%s", readLog()).isZero();
    System.out.println("SbctlJarIT shutdown: " + timeline.lines().findFirst().orElseThrow());
  }

  private static String fleet(int backendPort) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: s
        spec:
          subnet: 127.0.30.0/24
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: web
        spec:
          hosts: ["web.localhost"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: x
        spec:
          service: web
          site: s
          address: 127.0.30.2
          port: %d
        """
        .formatted(backendPort);
  }

  private Path write(String name, String text) throws IOException {
    Path input = Files.createDirectories(temp.resolve("input"));
    return Files.writeString(input.resolve(name), text);
  }

  /** The HTTP status of {@code path} on sbctl run's listener, -1 while nothing listens. */
  private int status(String path) throws InterruptedException {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The response to {@code path} on sbctl run's listener, null while nothing listens. */
  private HttpResponse<String> get(String path) throws InterruptedException {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(2))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    }
  }

  private Process start(String... args) throws IOException {
    ProcessBuilder pb = builder(args);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private Result sbctl(String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile(temp, "out", ".txt");
    Path err = Files.createTempFile(temp, "err", ".txt");
    Process p = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    processes.add(p);
    assertThat(p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("sbctl %s finished within %s", String.join(" ", args), COMMAND_TIMEOUT)
        .isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The jar on the JDK running this test; the environment holds only what the test sets. */
  private ProcessBuilder builder(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    pb.environment().put("SWITCHBOARD_MANIFESTS", manifests.toString());
    pb.environment().put("SWITCHBOARD_DATA_DIR", temp.resolve("var").toString());
    // The test fleet lives on loopback, refused as a Site subnet unless allowed; the variable
    // makes run, apply and get agree, as the docs tell users to do.
    pb.environment().put("SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8");
    return pb;
  }

  private String readLog() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static JsonNode condition(JsonNode resource, String type) {
    for (JsonNode c : resource.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    YAMLMapper yaml = new YAMLMapper();
    try (var parser = new YAMLFactory().createParser(file.toFile())) {
      yaml.readValues(parser, JsonNode.class).forEachRemaining(out::add);
    }
    return out;
  }
}
