package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the table target decides before it touches the database (the database itself is covered by
 * {@code cli.ApiTableTargetIT}): a database that is not open answers 503 and writes nothing;
 * validation and file conflicts are judged from the YAML and the watched directory.
 */
class TableTargetTest {
  private static final String BACKEND =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Backend
      metadata:
        name: api-dijon
      spec:
        service: api
        site: dijon
        address: 127.0.30.2
        port: %s
      """;

  @TempDir Path manifests;
  private final AtomicInteger calls = new AtomicInteger();
  private final Supplier<ResourceTable> notOpen =
      () -> {
        calls.incrementAndGet();
        throw new DatabaseUnavailableException("the database is still starting", null);
      };

  @Test
  void answers503WhileTheDatabaseIsNotOpen() throws Exception {
    ResourceApi api = new ResourceApi(new TableTarget(notOpen, manifests, SubnetPolicy.SITES_ONLY));
    ResourceApi.Reply put =
        api.apply("Backend", "api-dijon", bytes(BACKEND.formatted(8080)), false, false);
    assertThat(put.code()).isEqualTo(503);
    assertThat(put.body().path("reason").asText()).isEqualTo("ServiceUnavailable");
    assertThat(put.body().path("message").asText())
        .contains("the database is still starting")
        .contains("nothing was read or written");
    assertThat(put.headers()).containsEntry("Retry-After", "2");
    assertThat(api.list("Backend").code()).isEqualTo(503);
    assertThat(api.get("Backend", "api-dijon").code()).isEqualTo(503);
    assertThat(api.delete("Backend", "api-dijon", null).code()).isEqualTo(503);
    assertThat(calls.get()).isEqualTo(4);
    try (var files = Files.list(manifests)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void validatesWithTheOperatorsMessagesNamingTheRow() throws Exception {
    TableTarget target = new TableTarget(notOpen, manifests, SubnetPolicy.SITES_ONLY);
    var check = target.check(new ResourceKey("Backend", "api-dijon"), BACKEND.formatted(70000));
    assertThat(check.valid()).isFalse();
    assertThat(check.problems())
        .singleElement()
        .asString()
        .startsWith("table Backend/api-dijon")
        .contains("spec.port");
    assertThat(
            target.check(new ResourceKey("Backend", "api-dijon"), BACKEND.formatted(8080)).valid())
        .isTrue();
  }

  @Test
  void refusesANameThatAFileDeclares() throws Exception {
    Files.writeString(manifests.resolve("fleet.yaml"), BACKEND.formatted(8080));
    TableTarget target = new TableTarget(notOpen, manifests, SubnetPolicy.SITES_ONLY);
    assertThatThrownBy(
            () -> target.check(new ResourceKey("Backend", "api-dijon"), BACKEND.formatted(8081)))
        .isInstanceOf(ResourceTarget.ConflictException.class)
        .hasMessageContaining("fleet.yaml")
        .hasMessageContaining("Conflict");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
