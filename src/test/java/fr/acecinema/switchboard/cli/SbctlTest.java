package fr.acecinema.switchboard.cli;

import static fr.acecinema.switchboard.cli.Rows.backend;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SbctlTest {
  /** An in-memory fleet: rows to list, files "written", a rule for invalid text. */
  static final class FakeFleet implements FleetView, FleetWriter, FleetAccess {
    final List<ResourceRow> rows = new ArrayList<>();
    final Map<String, String> written = new LinkedHashMap<>();
    final List<ResourceKey> deleted = new ArrayList<>();
    SwitchboardConfig seenConfig;

    @Override
    public List<ResourceRow> list() {
      return rows;
    }

    @Override
    public String where() {
      return seenConfig.manifests().toString();
    }

    @Override
    public Check check(String fileName, String text) {
      if (text.contains("port: 70000")) {
        return new Check(
            List.of(),
            List.of("line 7: spec.port: 70000 is above 65535; use a TCP port between 1 and 65535"));
      }
      return new Check(
          List.of(new ResourceKey("Backend", fileName.replace(".yaml", ""))), List.of());
    }

    @Override
    public List<Applied> apply(String fileName, String text) {
      Change change = written.containsKey(fileName) ? Change.configured : Change.created;
      written.put(fileName, text);
      return List.of(
          new Applied(new ResourceKey("Backend", fileName.replace(".yaml", "")), change));
    }

    @Override
    public boolean delete(ResourceKey key) {
      boolean found = rows.removeIf(r -> r.key().filter(key::equals).isPresent());
      if (found) {
        deleted.add(key);
      }
      return found;
    }

    @Override
    public boolean replace(ResourceKey key, String yaml, long generation) {
      written.put(key.toString(), yaml);
      return rows.stream().anyMatch(r -> r.key().filter(key::equals).isPresent());
    }

    @Override
    public FleetView view(SwitchboardConfig config) {
      seenConfig = config;
      return this;
    }

    @Override
    public FleetWriter writer(SwitchboardConfig config) {
      seenConfig = config;
      return this;
    }

    @Override
    public Demo demo() {
      return (config, out, err) -> {
        out.println("demo ran with " + config.manifests());
        return 0;
      };
    }
  }

  record Run(int code, String out, String err) {}

  private final FakeFleet fleet = new FakeFleet();
  private final Map<String, String> env = new HashMap<>();

  private Run run(FleetAccess fleets, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl =
        Sbctl.commandLine(new Sbctl(fleets, Clock.fixed(Rows.NOW, ZoneOffset.UTC)), env::get);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private Run run(String... args) {
    return run(fleet, args);
  }

  @Test
  void helpListsCommandsOptionsAndEnvironmentVariables() {
    Run r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("run", "apply", "get", "describe", "delete", "wait", "validate", "demo")
        .contains("--manifests=DIR")
        .contains("Default: 127.0.0.1:7070")
        .contains(
            "SWITCHBOARD_MANIFESTS",
            "SWITCHBOARD_LISTEN",
            "SWITCHBOARD_DATA_DIR",
            "SWITCHBOARD_RESYNC")
        .contains("SWITCHBOARD_WORKERS", "SWITCHBOARD_LOG_FORMAT", "SWITCHBOARD_CADDY_ADMIN")
        .contains(
            "SWITCHBOARD_CADDY_LISTEN", "SWITCHBOARD_CADDY_AUTO_HTTPS", "SWITCHBOARD_DATABASE_URL")
        .contains("Exit codes: 0 success, 1 failure, 2 usage error.");
  }

  @Test
  void helpListsEveryEnvironmentVariableAligned() {
    CommandLine cl = Sbctl.commandLine(new Sbctl(fleet, Clock.systemUTC()), env::get);
    List<String> variables =
        cl.getCommandSpec().options().stream()
            .map(o -> fr.acecinema.switchboard.config.EnvDefaults.variableFor(o))
            .flatMap(Optional::stream)
            .toList();
    assertThat(variables).hasSizeGreaterThanOrEqualTo(12);
    String help = run("--help").out();
    String section = help.substring(help.indexOf("Environment"));
    for (String v : variables) {
      assertThat(section).containsPattern("(?m)^  " + v + " +--");
    }
    // One column for the flags, whatever the longest variable.
    assertThat(
            section
                .lines()
                .filter(l -> l.startsWith("  SWITCHBOARD_"))
                .map(l -> l.indexOf("--"))
                .distinct())
        .hasSize(1);
  }

  @Test
  void everyCommandAnswersHelp() {
    for (String command :
        List.of("run", "apply", "get", "describe", "delete", "wait", "validate", "demo")) {
      Run r = run(command, "--help");
      assertThat(r.code()).as(command).isZero();
      assertThat(r.out()).as(command).startsWith("Usage: sbctl " + command).contains("--help");
    }
  }

  @Test
  void versionExitsZero() {
    Run r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("sbctl ");
  }

  @Test
  void usageErrorsExitTwoWithAHint() {
    Run unknown = run("frobnicate");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("frobnicate").contains("Run 'sbctl --help' for usage.");
    assertThat(run().code()).isEqualTo(2);
    Run badKind = run("get", "pods");
    assertThat(badKind.code()).isEqualTo(2);
    assertThat(badKind.err())
        .contains("unknown kind 'pods'; use one of site (st), service (svc), backend (be)");
    assertThat(run("get", "be", "-o", "xml").code()).isEqualTo(2);
    assertThat(run("wait", "backend/x", "--for=Ready").err()).contains("--for=condition=Ready");
    env.put("SWITCHBOARD_WORKERS", "many");
    Run badEnv = run("get", "be");
    assertThat(badEnv.code()).isEqualTo(2);
    assertThat(badEnv.err())
        .contains("'many' is not an int (from --workers or SWITCHBOARD_WORKERS)");
  }

  @Test
  void getPrintsTableIncludingUnreadableFiles() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    fleet.rows.add(Rows.unreadable("broken.yaml"));
    Run r = run("get", "backends");
    assertThat(r.code()).isZero();
    assertThat(r.out().lines().toList())
        .containsExactly(
            "NAME        READY   REASON           AGE",
            "api-dijon   True    ProbeSucceeded   5m",
            "",
            "NAME              READY   REASON            MESSAGE",
            "<broken.yaml:3>   False   YamlSyntaxError   broken.yaml:3: mapping values are not"
                + " allowed here; indent the key under its parent");
  }

  @Test
  void getAllPrintsOneTablePerKindWithQualifiedNames() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    fleet.rows.add(Rows.site("dijon"));
    Run r = run("get", "all", "-o", "wide");
    assertThat(r.code()).isZero();
    String[] tables = r.out().split("\n\n");
    assertThat(tables).hasSize(2);
    assertThat(tables[0])
        .startsWith("NAME         READY   REASON          AGE   SUBNET          PRIORITY")
        .contains("site/dijon")
        .doesNotContain("WEIGHT", "ROLE");
    assertThat(tables[1]).contains("backend/api-dijon").contains("WEIGHT");
  }

  @Test
  void getKindAsJsonIsAListEvenForOneResource() throws Exception {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    fleet.rows.add(Rows.unreadable("broken.yaml"));
    Run r = run("get", "backends", "-o", "json");
    assertThat(r.code()).isZero();
    var doc = Rows.JSON.readTree(r.out());
    assertThat(doc.path("kind").asText()).isEqualTo("List");
    assertThat(doc.path("items")).hasSize(1);
    assertThat(r.err()).isEqualTo("warning: " + Rows.unreadable("broken.yaml").error() + "\n");
  }

  @Test
  void getOneNameAsJsonAndWarnsNothingWhenAllReadable() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    fleet.rows.add(backend("api-thory", 1, "True", "ProbeSucceeded", 1));
    Run r = run("get", "be", "api-thory", "-o", "json");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("\"name\" : \"api-thory\"").doesNotContain("api-dijon");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void getMissingNameFails() {
    Run r = run("get", "backend", "nope");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("backend \"nope\" not found in /etc/switchboard/manifests");
  }

  @Test
  void getEmptyKindSaysNoResources() {
    Run r = run("get", "sites");
    assertThat(r.code()).isZero();
    assertThat(r.err()).contains("No resources found in /etc/switchboard/manifests.");
  }

  @Test
  void manifestsDirectoryComesFromFlagOrEnvironment() {
    env.put("SWITCHBOARD_MANIFESTS", "/srv/env-fleet");
    assertThat(run("get", "sites").err()).contains("/srv/env-fleet");
    assertThat(run("get", "sites", "--manifests", "/srv/flag-fleet").err())
        .contains("/srv/flag-fleet");
    assertThat(run("--manifests", "/srv/before", "get", "sites").err()).contains("/srv/before");
  }

  @Test
  void describeShowsOneResource() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    Run r = run("describe", "backend/api-dijon");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("Name:         api-dijon\nKind:         Backend\n");
    assertThat(run("describe", "be", "api-dijon").out()).isEqualTo(r.out());
    assertThat(run("describe", "backend/ghost").code()).isEqualTo(1);
  }

  @Test
  void applyWritesValidFilesOfADirectory(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("api-dijon.yaml"), "kind: Backend\n");
    Files.writeString(dir.resolve("api-thory.yml"), "kind: Backend\n");
    Files.writeString(dir.resolve("notes.txt"), "not a manifest");
    Run r = run("apply", "-f", dir.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("backend/api-dijon created\nbackend/api-thory.yml created\n");
    assertThat(fleet.written).containsOnlyKeys("api-dijon.yaml", "api-thory.yml");
    assertThat(run("apply", "-f", dir.resolve("api-dijon.yaml").toString()).out())
        .isEqualTo("backend/api-dijon configured\n");
  }

  @Test
  void applyRefusesEverythingWhenOneFileIsInvalid(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("a.yaml"), "kind: Backend\n");
    Files.writeString(dir.resolve("b.yaml"), "kind: Backend\nspec:\n  port: 70000\n");
    Run r = run("apply", "-f", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "b.yaml: line 7: spec.port: 70000 is above 65535; use a TCP port between 1 and 65535")
        .contains("nothing was applied");
    assertThat(fleet.written).isEmpty();
  }

  @Test
  void applyOfAMissingPathFails() {
    Run r = run("apply", "-f", "/nonexistent/fleet.yaml");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("/nonexistent/fleet.yaml");
  }

  @Test
  void validateReportsWithoutWriting(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("good.yaml"), "kind: Backend\n");
    Run ok = run("validate", "-f", dir.resolve("good.yaml").toString());
    assertThat(ok.code()).isZero();
    assertThat(ok.out()).endsWith("good.yaml: valid (backend/good)\n");
    Files.writeString(dir.resolve("bad.yaml"), "port: 70000\n");
    Run bad = run("validate", "-f", dir.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("bad.yaml: line 7: spec.port");
    assertThat(fleet.written).isEmpty();
  }

  @Test
  void deleteRemovesOrFails() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    Run r = run("delete", "be/api-dijon");
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("backend/api-dijon deleted\n");
    assertThat(fleet.deleted).containsExactly(new ResourceKey("Backend", "api-dijon"));
    assertThat(run("delete", "be/api-dijon").code()).isEqualTo(1);
  }

  @Test
  void waitSucceedsWhenReadyAndFailsOnTimeout() {
    fleet.rows.add(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
    fleet.rows.add(backend("api-thory", 1, "False", "ProbeFailed", 1));
    Run ok = run("wait", "backend/api-dijon", "--for=condition=Ready", "--timeout=5s");
    assertThat(ok.code()).isZero();
    assertThat(ok.out()).isEqualTo("backend/api-dijon condition met\n");
    Run timeout = run("wait", "backend/api-thory", "--timeout=0s");
    assertThat(timeout.code()).isEqualTo(1);
    assertThat(timeout.err()).contains("timed out after 0s").contains("Ready=False (ProbeFailed)");
  }

  @Test
  void demoRunsTheWiredDemo() {
    Run r = run("demo");
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("demo ran with /etc/switchboard/manifests\n");
  }
}
