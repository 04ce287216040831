package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.it.OperatorITSupport.Running;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows of the resources table drive the same reconcilers as files and get status back. */
class TableSourceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path manifests;
  @TempDir static Path dataDir;
  private static final TestBackends backends = new TestBackends();
  private static ManifestDir files;
  private static TestBackends.Backend web1;
  private static Running running;
  private static ResourceTable table;

  @BeforeAll
  static void start() throws Exception {
    files = new ManifestDir(manifests);
    web1 = backends.start("web-1", "127.0.31.2", 0);
    files.write("site.yaml", ManifestDir.site("nancy", "127.0.31.0/24"));
    files.write("shop.yaml", ManifestDir.service("shop"));
    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    table = new ResourceTable(running.database());
  }

  @AfterAll
  static void stop() {
    running.close();
    backends.close();
  }

  private static ObjectNode backendSpec(String address, int port) {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("service", "shop").put("site", "nancy").put("address", address).put("port", port);
    return spec;
  }

  private static JsonNode rowCondition(String kind, String name, String type) {
    JsonNode status = table.get(kind, name).map(ResourceTable.Row::status).orElse(null);
    if (status != null) {
      for (JsonNode c : status.path("conditions")) {
        if (c.path("type").asText().equals(type)) {
          return c;
        }
      }
    }
    return JSON.createObjectNode();
  }

  @Test
  void aRowIsReconciledLikeAFileAndItsStatusIsWrittenIntoTheRow() throws Exception {
    table.upsert("Backend", "shop-row", backendSpec("127.0.31.2", web1.port), null);
    await()
        .until(
            () ->
                rowCondition("Backend", "shop-row", "Ready")
                    .path("status")
                    .asText()
                    .equals("True"));
    ResourceTable.Row row = table.get("Backend", "shop-row").orElseThrow();
    assertThat(row.status().path("observedGeneration").asLong()).isEqualTo(row.generation());
    assertThat(row.status().at("/health/state").asText()).isEqualTo("Healthy");
    await().until(() -> serviceCountsRow(true));

    table.delete("Backend", "shop-row");
    await().until(() -> serviceCountsRow(false));
  }

  /** The service's status counts exactly the store's backends, shop-row among them or not. */
  private static boolean serviceCountsRow(boolean present) throws Exception {
    return serviceCountsBackend("shop-row", present);
  }

  private static boolean serviceCountsBackend(String name, boolean present) throws Exception {
    var store = running.operator().store();
    var backends =
        store.byIndex(
            fr.acecinema.switchboard.api.v1alpha1.Backend.class,
            fr.acecinema.switchboard.reconciler.Indexes.BACKENDS_BY_SERVICE,
            "shop");
    boolean has = backends.stream().anyMatch(b -> b.getMetadata().getName().equals(name));
    return has == present
        && files.doc("shop.yaml", 0).at("/status/totalEndpoints").asInt() == backends.size();
  }

  @Test
  void anInvalidRowGetsTheSameErrorAsAnInvalidFile() {
    table.upsert("Backend", "shop-bad", backendSpec("127.0.31.9", 70000), null);
    await()
        .until(
            () ->
                rowCondition("Backend", "shop-bad", "Accepted")
                    .path("reason")
                    .asText()
                    .equals("InvalidSpec"));
    assertThat(rowCondition("Backend", "shop-bad", "Accepted").path("message").asText())
        .contains("table Backend/shop-bad")
        .contains("spec.port");
    assertThat(
            running
                .operator()
                .store()
                .get(new fr.acecinema.switchboard.api.ResourceKey("Backend", "shop-bad")))
        .isEmpty();
  }

  @Test
  void aRowDuplicatingAServingFileIsRefusedAndTheFileKeepsServingUntilTheRowGoes()
      throws Exception {
    files.write(
        "shop-dup.yaml",
        OperatorIT.backend("shop-dup", "nancy", "127.0.31.2", web1.port, 1)
            .replace("service: api", "service: shop"));
    await().until(() -> files.ready("shop-dup.yaml").equals("True"));
    var key = new fr.acecinema.switchboard.api.ResourceKey("Backend", "shop-dup");
    var serving = running.operator().store().get(key).orElseThrow();
    table.upsert("Backend", "shop-dup", backendSpec("127.0.31.3", web1.port), null);
    await()
        .until(
            () ->
                rowCondition("Backend", "shop-dup", "Accepted")
                    .path("reason")
                    .asText()
                    .equals("Conflict"));
    assertThat(rowCondition("Backend", "shop-dup", "Accepted").path("status").asText())
        .isEqualTo("False");
    assertThat(rowCondition("Backend", "shop-dup", "Accepted").path("message").asText())
        .contains("shop-dup.yaml", "keeps serving");
    // The file's declaration says it is contested, and is still accepted, ready and routed from.
    await()
        .until(
            () ->
                files
                    .condition("shop-dup.yaml", "Accepted")
                    .path("reason")
                    .asText()
                    .equals("Conflict"));
    assertThat(files.condition("shop-dup.yaml", "Accepted").path("status").asText())
        .isEqualTo("True");
    assertThat(files.condition("shop-dup.yaml", "Accepted").path("message").asText())
        .contains("table Backend/shop-dup", "keeps serving");
    assertThat(files.ready("shop-dup.yaml")).isEqualTo("True");
    assertThat(running.operator().store().get(key))
        .as("what the router plans from still holds the file's version")
        .get()
        .extracting(r -> ((fr.acecinema.switchboard.api.v1alpha1.Backend) r).getSpec().address)
        .isEqualTo("127.0.31.2");
    assertThat(running.operator().store().get(key).orElseThrow().getMetadata().getGeneration())
        .isEqualTo(serving.getMetadata().getGeneration());
    await().until(() -> serviceCountsBackend("shop-dup", true));

    table.delete("Backend", "shop-dup");
    await()
        .until(
            () ->
                files
                    .condition("shop-dup.yaml", "Accepted")
                    .path("reason")
                    .asText()
                    .equals("Valid"));
    assertThat(running.operator().store().get(key)).isPresent();
  }
}
