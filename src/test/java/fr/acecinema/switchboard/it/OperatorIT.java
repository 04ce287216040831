package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.app.Switchboard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator end to end: real files, real HTTP backends on loopback, statuses in the files. */
class OperatorIT {
  @TempDir Path dir;
  private ManifestDir files;
  private final TestBackends backends = new TestBackends();
  private Switchboard operator;
  private TestBackends.Backend dijon;
  private TestBackends.Backend thory;

  @BeforeEach
  void fleet() throws IOException {
    files = new ManifestDir(dir);
    dijon = backends.start("dijon-1", "127.0.20.2", 0);
    thory = backends.start("thory-1", "127.0.21.2", 0);
    files.write(
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
    files.write("api/service.yaml", ManifestDir.service("api"));
    files.write("api/dijon.yaml", backend("api-dijon", "dijon", "127.0.20.2", dijon.port, 10));
    files.write("api/thory.yaml", backend("api-thory", "thory", "127.0.21.2", thory.port, 1));
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
    backends.close();
  }

  private void start() throws IOException {
    operator = OperatorITSupport.start(OperatorITSupport.loopbackFleet(dir));
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
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> files.ready("api/dijon.yaml", 0).equals("True"));
    await().until(() -> files.ready("api/service.yaml", 0).equals("True"));
    // Ready as soon as one backend is; both are counted once the second one's probe passed.
    await().until(() -> files.doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 2);
    JsonNode service = files.doc("api/service.yaml", 0);
    assertThat(service.at("/status/totalEndpoints").asInt()).isEqualTo(2);
    assertThat(service.at("/status/endpoints/0/site").asText()).isEqualTo("dijon");
    await().until(() -> files.ready("sites.yaml", 1).equals("True"));
    JsonNode be = files.doc("api/dijon.yaml", 0);
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
      // Judged after 3 s of failures instead of the default 30 s: the test's time.
      operator =
          OperatorITSupport.start(
              OperatorITSupport.loopbackFleet(dir)
                  .withStatusWriteFailingAfter(Duration.ofSeconds(3)));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> files.ready("api/thory.yaml", 0).equals("True"));
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
            () ->
                files.ready("sites.yaml", 0).equals("True")
                    && files.ready("sites.yaml", 1).equals("True"));
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
    await().until(() -> files.ready("api/thory.yaml", 0).equals("True"));
    thory.healthStatus.set(503);
    await()
        .until(
            () ->
                files
                    .doc("api/thory.yaml", 0)
                    .at("/status/health/state")
                    .asText()
                    .equals("Unhealthy"));
    assertThat(files.doc("api/thory.yaml", 0).at("/status/health/lastError").asText())
        .contains("503");
    await().until(() -> files.doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 1);
    await().until(() -> files.ready("sites.yaml", 1).equals("False"));
    thory.healthStatus.set(200);
    await().until(() -> files.ready("api/thory.yaml", 0).equals("True"));
    await().until(() -> files.doc("api/service.yaml", 0).at("/status/readyEndpoints").asInt() == 2);
  }

  @Test
  void drainedBackendIsHealthyButNotReady() throws IOException {
    start();
    await().until(() -> files.ready("api/thory.yaml", 0).equals("True"));
    files.write(
        "api/thory.yaml",
        backend("api-thory", "thory", "127.0.21.2", thory.port, 1) + "  drain: true\n");
    await().until(() -> files.reason("api/thory.yaml", 0, "Ready").equals("Draining"));
    assertThat(files.condition("api/thory.yaml", 0, "Healthy").path("status").asText())
        .isEqualTo("True");
  }

  @Test
  void danglingSiteReferenceResolvesWhenTheSiteAppears() throws IOException {
    files.write("api/nantes.yaml", backend("api-nantes", "nantes", "127.0.22.2", 9, 1));
    start();
    await().until(() -> files.reason("api/nantes.yaml", 0, "Accepted").equals("SiteNotFound"));
    assertThat(files.condition("api/nantes.yaml", 0, "Accepted").path("message").asText())
        .contains("spec.site");
    files.write(
        "nantes-site.yaml",
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: nantes
        spec:
          subnet: 127.0.22.0/24
        """);
    await().until(() -> files.reason("api/nantes.yaml", 0, "Accepted").equals("Valid"));
  }

  @Test
  void sameNameInASecondFileIsRefusedAndTheServingFileKeepsServing() throws IOException {
    start();
    await().until(() -> files.ready("api/dijon.yaml", 0).equals("True"));
    files.write("api/copy.yaml", backend("api-dijon", "dijon", "127.0.20.2", dijon.port, 5));
    await().until(() -> files.reason("api/copy.yaml", 0, "Accepted").equals("Conflict"));
    assertThat(files.condition("api/copy.yaml", 0, "Accepted").path("status").asText())
        .isEqualTo("False");
    await().until(() -> files.reason("api/dijon.yaml", 0, "Accepted").equals("Conflict"));
    assertThat(files.condition("api/dijon.yaml", 0, "Accepted").path("status").asText())
        .isEqualTo("True");
    assertThat(files.condition("api/dijon.yaml", 0, "Accepted").path("message").asText())
        .contains("copy.yaml", "keeps serving");
    // Still one of the service's two endpoints, still ready, as before the copy appeared.
    assertThat(files.ready("api/dijon.yaml", 0)).isEqualTo("True");
    assertThat(files.doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt()).isEqualTo(2);
    Files.delete(dir.resolve("api/copy.yaml"));
    await().until(() -> files.reason("api/dijon.yaml", 0, "Accepted").equals("Valid"));
  }

  @Test
  void deletingAManifestRemovesTheResource() throws IOException {
    start();
    await().until(() -> files.doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt() == 2);
    long before = thory.requests.get();
    Files.delete(dir.resolve("api/thory.yaml"));
    await().until(() -> files.doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt() == 1);
    assertThat(thory.requests.get()).isEqualTo(before);
  }

  @Test
  void invalidManifestGetsAPreciseErrorAndHarmsNothingElse() throws IOException {
    files.write(
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
    await().until(() -> files.reason("api/bad.yaml", 0, "Accepted").equals("InvalidSpec"));
    assertThat(files.condition("api/bad.yaml", 0, "Accepted").path("message").asText())
        .contains("bad.yaml")
        .contains("spec.port");
    await().until(() -> files.ready("api/service.yaml", 0).equals("True"));
    assertThat(files.doc("api/service.yaml", 0).at("/status/totalEndpoints").asInt()).isEqualTo(2);
  }

  // --- helpers
}
