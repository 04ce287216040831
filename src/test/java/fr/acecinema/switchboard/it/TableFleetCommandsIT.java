package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.cli.InProcessSbctl;
import fr.acecinema.switchboard.it.OperatorITSupport.Running;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows and files are one fleet for sbctl on the hub: after {@code apply --to table}, {@code get},
 * {@code describe}, {@code render caddy} and {@code wait} know the rows, {@code delete} deletes a
 * row, and a name that exists in the other source is refused at apply, naming both places. A real
 * operator with its embedded PostgreSQL, found by sbctl through {@code DATA_DIR/postgres.port}.
 */
class TableFleetCommandsIT {
  @TempDir static Path manifests;
  @TempDir static Path dataDir;
  @TempDir static Path input;
  private static final TestBackends backends = new TestBackends();
  private static TestBackends.Backend web1;
  private static Running running;
  private static ResourceTable table;

  @BeforeAll
  static void start() throws Exception {
    ManifestDir files = new ManifestDir(manifests);
    web1 = backends.start("web-1", "127.0.32.2", 0);
    files.write("site.yaml", ManifestDir.site("metz", "127.0.32.0/24"));
    running = OperatorITSupport.startWithEmbeddedDatabase(manifests, dataDir);
    table = new ResourceTable(running.database());
    Files.writeString(
        input.resolve("web.yaml"),
        ManifestDir.service("web")
            + "---\n"
            + OperatorIT.backend("web-1", "metz", "127.0.32.2", web1.port, 1)
                .replace("service: api", "service: web"));
  }

  @AfterAll
  static void stop() {
    running.close();
    backends.close();
  }

  static InProcessSbctl.Result sbctl(String... args) {
    return InProcessSbctl.run(
        Map.of(
            "SWITCHBOARD_DATA_DIR", dataDir.toString(),
            "SWITCHBOARD_MANIFESTS", manifests.toString(),
            // The fleet lives on loopback, refused as a Site subnet unless allowed.
            "SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8"),
        args);
  }

  @Test
  void rowsAreSeenByEveryReadCommandAndDeletedBySbctlDelete() {
    var apply = sbctl("apply", "--to", "table", "-f", input.resolve("web.yaml").toString());
    assertThat(apply.code()).as(apply.err()).isZero();
    assertThat(apply.out())
        .contains("service/web created (table)", "backend/web-1 created (table)");

    var wait = sbctl("wait", "backend/web-1", "--for=condition=Ready", "--timeout=60s");
    assertThat(wait.code()).as(wait.err()).isZero();
    var waitService = sbctl("wait", "service/web", "--for=condition=Ready", "--timeout=60s");
    assertThat(waitService.code()).as(waitService.err()).isZero();

    var all = sbctl("get", "all", "-o", "wide");
    assertThat(all.code()).as(all.err()).isZero();
    assertThat(all.out())
        .contains("site/metz", "site.yaml")
        .containsPattern("service/web +True")
        .containsPattern("backend/web-1 +True")
        .contains("table Service/web", "table Backend/web-1");

    var describe = sbctl("describe", "service/web");
    assertThat(describe.code()).as(describe.err()).isZero();
    assertThat(describe.out()).contains("table Service/web", "web.acecinema.test");

    var render = sbctl("render", "caddy");
    assertThat(render.code()).as(render.err()).isZero();
    assertThat(render.out()).contains("web.acecinema.test");
    assertThat(render.err()).contains("1 services, 1 backends routed");

    var delete = sbctl("delete", "backend/web-1");
    assertThat(delete.code()).as(delete.err()).isZero();
    assertThat(delete.out()).contains("backend/web-1 deleted");
    assertThat(table.get("Backend", "web-1")).isEmpty();
    var gone = sbctl("wait", "backend/web-1", "--for=delete", "--timeout=30s");
    assertThat(gone.code()).as(gone.err()).isZero();
    var missing = sbctl("get", "backend", "web-1");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("not found in " + manifests + " and the resources table");
    assertThat(sbctl("delete", "service/web").code()).isZero();
  }

  @Test
  void aFileNamingAnExistingRowIsRefusedAtApplyNamingBothPlaces() throws Exception {
    table.upsert(
        "Service",
        "shop",
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree("{\"hosts\":[\"shop.acecinema.test\"]}"),
        null);
    Path file = input.resolve("shop-file.yaml");
    Files.writeString(file, ManifestDir.service("shop"));
    var r = sbctl("apply", "-f", file.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("shop-file.yaml", "table Service/shop", "nothing was applied")
        .contains("sbctl delete service/shop");
    assertThat(manifests.resolve("shop-file.yaml")).doesNotExist();
    table.delete("Service", "shop");
  }

  @Test
  void aRowNamingAnExistingFileIsRefusedAtApplyNamingBothPlaces() throws Exception {
    Path copy = input.resolve("metz-row.yaml");
    Files.writeString(copy, ManifestDir.site("metz", "127.0.32.0/24"));
    var r = sbctl("apply", "--to", "table", "-f", copy.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("metz-row.yaml", "site.yaml:1", "nothing was applied");
    assertThat(table.get("Site", "metz")).isEmpty();
  }
}
