package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator end to end: real files, real HTTP backends on loopback, statuses in the files. */
class OperatorIT {
  private static final ObjectMapper YAML = new YAMLMapper();
  @TempDir Path dir;
  private final TestBackends backends = new TestBackends();
  private Switchboard operator;
  private TestBackends.Backend dijon;
  private TestBackends.Backend thory;

  @BeforeEach
  void fleet() throws IOException {
    dijon = backends.start("dijon-1", "127.0.20.2", 0);
    thory = backends.start("thory-1", "127.0.21.2", 0);
    write(
        "sites.yaml",
        """
        # Two loopback sites.
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: dijon
        spec:
          subnet: 127.0.20.0/24   # the dijon LAN
          priority: 10
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: thory
        spec:
          subnet: 127.0.21.0/24
          priority: 20
        """);
    write(
        "api/service.yaml",
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: api
        spec:
          hosts: ["api.acecinema.test"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """);
    write("api/dijon.yaml", backend("api-dijon", "dijon", "127.0.20.2", dijon.port, 10));
    write("api/thory.yaml", backend("api-thory", "thory", "127.0.21.2", thory.port, 1));
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
    backends.close();
  }

  private void start() throws IOException {
    operator =
        Switchboard.start(
            OperatorSettings.forDirectory(dir)
                // The fleet lives on loopback, refused as a Site subnet unless allowed.
                .withSubnets(SubnetPolicy.allowing(List.of("127.0.0.0/8")))
                .withResync(Duration.ofSeconds(2)),
            new SimpleMeterRegistry());
  }

  static String backend(String name, String site, String address, int port, int weight) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: api
          site: %s
          address: "%s"
          port: %d
          weight: %d
        """
        .formatted(name, site, address, port, weight);
  }

  @Test
  void writesTruthfulStatusIntoEveryManifest() throws IOException {
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> ready("api/dijon.yaml", 0).equals("True"));
    await().until(() -> ready("api/service.yaml", 0).equals("True"));
    // Ready as soon as one backend is; both are counted once the second one's probe passed.
    await().until(() -> doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 2);
    JsonNode service = doc("api/service.yaml", 0);
    assertThat(service.at("/status/totalEndpoints").asInt()).isEqualTo(2);
    assertThat(service.at("/status/endpoints/0/site").asText()).isEqualTo("dijon");
    await().until(() -> ready("sites.yaml", 1).equals("True"));
    JsonNode be = doc("api/dijon.yaml", 0);
    assertThat(be.at("/status/health/state").asText()).isEqualTo("Healthy");
    assertThat(be.at("/status/observedGeneration").asLong())
        .isEqualTo(be.at("/status/conditions/0/observedGeneration").asLong())
        .isPositive();
  }

  @Test
  void readinessSaysStatusWritesFailWhenAFileStaysUnwritable() throws Exception {
    // chattr +i: even root cannot replace the file, as a root-owned file for a non-root process.
    Path locked = dir.resolve("api/dijon.yaml");
    assertThat(new ProcessBuilder("chattr", "+i", locked.toString()).start().waitFor()).isZero();
    try {
      start();
      await().atMost(Duration.ofSeconds(10)).until(() -> ready("api/thory.yaml", 0).equals("True"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  operator
                      .readiness()
                      .condition("StatusWritten")
                      .map(c -> c.reason)
                      .orElse("")
                      .equals("StatusWriteFailing"));
      assertThat(operator.readiness().condition("StatusWritten").orElseThrow().message)
          .contains("dijon.yaml");
      assertThat(operator.readiness().ready()).as("reported, not a 503").isTrue();
    } finally {
      new ProcessBuilder("chattr", "-i", locked.toString()).start().waitFor();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                operator
                    .readiness()
                    .condition("StatusWritten")
                    .orElseThrow()
                    .status
                    .equals("True"));
  }

  @Test
  void keepsCommentsAndEveryByteOutsideStatus() throws IOException {
    start();
    await()
        .until(
            () -> ready("sites.yaml", 0).equals("True") && ready("sites.yaml", 1).equals("True"));
    String text = Files.readString(dir.resolve("sites.yaml"));
    assertThat(text).startsWith("# Two loopback sites.\n");
    assertThat(text).contains("  subnet: 127.0.20.0/24   # the dijon LAN\n");
    String withoutStatus = text.replaceAll("(?m)^status:\\n(  .*\\n)*", "");
    assertThat(withoutStatus)
        .isEqualTo(
            """
            # Two loopback sites.
            apiVersion: switchboard.acecinema.fr/v1alpha1
            kind: Site
            metadata:
              name: dijon
            spec:
              subnet: 127.0.20.0/24   # the dijon LAN
              priority: 10
            ---
            apiVersion: switchboard.acecinema.fr/v1alpha1
            kind: Site
            metadata:
              name: thory
            spec:
              subnet: 127.0.21.0/24
              priority: 20
            """);
  }

  @Test
  void reportsAFailingBackendAndItsRecovery() throws IOException {
    start();
    await().until(() -> ready("api/thory.yaml", 0).equals("True"));
    thory.healthStatus.set(503);
    await()
        .until(
            () -> doc("api/thory.yaml", 0).at("/status/health/state").asText().equals("Unhealthy"));
    assertThat(doc("api/thory.yaml", 0).at("/status/health/lastError").asText()).contains("503");
    await().until(() -> doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 1);
    await().until(() -> ready("sites.yaml", 1).equals("False"));
    thory.healthStatus.set(200);
    await().until(() -> ready("api/thory.yaml", 0).equals("True"));
    await().until(() -> doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 2);
  }

  @Test
  void drainedBackendIsHealthyButNotReady() throws IOException {
    start();
    await().until(() -> ready("api/thory.yaml", 0).equals("True"));
    write(
        "api/thory.yaml",
        backend("api-thory", "thory", "127.0.21.2", thory.port, 1) + "  drain: true\n");
    await().until(() -> reason("api/thory.yaml", 0, "Ready").equals("Draining"));
    assertThat(condition("api/thory.yaml", 0, "Healthy").path("status").asText()).isEqualTo("True");
  }

  @Test
  void danglingSiteReferenceResolvesWhenTheSiteAppears() throws IOException {
    write("api/nantes.yaml", backend("api-nantes", "nantes", "127.0.22.2", 9, 1));
    start();
    await().until(() -> reason("api/nantes.yaml", 0, "Accepted").equals("SiteNotFound"));
    assertThat(condition("api/nantes.yaml", 0, "Accepted").path("message").asText())
        .contains("spec.site");
    write(
        "nantes-site.yaml",
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: nantes
        spec:
          subnet: 127.0.22.0/24
        """);
    await().until(() -> reason("api/nantes.yaml", 0, "Accepted").equals("Valid"));
  }

  @Test
  void sameNameInASecondFileIsRefusedAndTheServingFileKeepsServing() throws IOException {
    start();
    await().until(() -> ready("api/dijon.yaml", 0).equals("True"));
    write("api/copy.yaml", backend("api-dijon", "dijon", "127.0.20.2", dijon.port, 5));
    await().until(() -> reason("api/copy.yaml", 0, "Accepted").equals("Conflict"));
    assertThat(condition("api/copy.yaml", 0, "Accepted").path("status").asText())
        .isEqualTo("False");
    await().until(() -> reason("api/dijon.yaml", 0, "Accepted").equals("Conflict"));
    assertThat(condition("api/dijon.yaml", 0, "Accepted").path("status").asText())
        .isEqualTo("True");
    assertThat(condition("api/dijon.yaml", 0, "Accepted").path("message").asText())
        .contains("copy.yaml", "keeps serving");
    // Still one of the service's two endpoints, still ready, as before the copy appeared.
    assertThat(ready("api/dijon.yaml", 0)).isEqualTo("True");
    assertThat(doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt()).isEqualTo(2);
    Files.delete(dir.resolve("api/copy.yaml"));
    await().until(() -> reason("api/dijon.yaml", 0, "Accepted").equals("Valid"));
  }

  @Test
  void deletingAManifestRemovesTheResource() throws IOException {
    start();
    await().until(() -> doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt() == 2);
    long before = thory.requests.get();
    Files.delete(dir.resolve("api/thory.yaml"));
    await().until(() -> doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt() == 1);
    assertThat(thory.requests.get()).isEqualTo(before);
  }

  @Test
  void invalidManifestGetsAPreciseErrorAndHarmsNothingElse() throws IOException {
    write(
        "api/bad.yaml",
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-bad
        spec:
          service: api
          site: dijon
          address: 127.0.20.9
          port: 70000
        """);
    start();
    await().until(() -> reason("api/bad.yaml", 0, "Accepted").equals("InvalidSpec"));
    assertThat(condition("api/bad.yaml", 0, "Accepted").path("message").asText())
        .contains("bad.yaml")
        .contains("spec.port");
    await().until(() -> ready("api/service.yaml", 0).equals("True"));
    assertThat(doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt()).isEqualTo(2);
  }

  // --- helpers

  private void write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private JsonNode doc(String name, int index) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(Files.readString(dir.resolve(name)))) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs.get(index);
  }

  private JsonNode condition(String name, int index, String type) throws IOException {
    for (JsonNode c : doc(name, index).at("/status/conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return YAML.createObjectNode();
  }

  private String ready(String name, int index) throws IOException {
    return condition(name, index, "Ready").path("status").asText("");
  }

  private String reason(String name, int index, String type) throws IOException {
    return condition(name, index, type).path("reason").asText("");
  }
}
