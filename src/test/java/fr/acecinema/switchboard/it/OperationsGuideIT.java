package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testing.Readyz;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/operations.md, followed on a loopback hub: the guide's own commands and manifests, taken
 * from the file at test time (a command or block that changes or disappears fails here), run by
 * bash with {@code sbctl} standing for the built jar against a running {@code sbctl run}. Fleet
 * addresses are transposed from {@code 10.200.N.x} to {@code 127.0.N.x} and a Site's {@code
 * wireguard} line is dropped (no tunnel here); everything else is as written. The install steps are
 * {@code SystemdLayoutIT}'s; the upgrade's data path is {@code UpgradeIT}'s.
 */
class OperationsGuideIT {
  private static final Path GUIDE = Path.of("docs", "operations.md");
  private static final Path JAR = Path.of("target", "switchboard.jar").toAbsolutePath();

  @TempDir Path temp;
  private final TestBackends backends = new TestBackends();
  private final List<Process> processes = new ArrayList<>();
  private String guide;
  private Path manifests;
  private int port;

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    backends.close();
  }

  @Test
  void addASiteABackendDrainAndBackUpAsTheGuideSays() throws Exception {
    guide = Files.readString(GUIDE);
    manifests = Files.createDirectories(temp.resolve("manifests"));
    TestBackends.Backend dijon = backends.start("api-dijon", "127.0.20.2", 0);
    Files.writeString(
        manifests.resolve("fleet.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata: {name: dijon}
        spec: {subnet: 127.0.20.0/24, priority: 10}
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata: {name: api}
        spec: {hosts: [api.acecinema.fr], healthCheck: {path: /health}}
        """);
    Files.writeString(manifests.resolve("api-dijon.yaml"), apiDijon(dijon.port, false));
    port = CaddyProcess.freePort();
    startHub();

    // Add a site: the block, as `thory.yaml`, then the guide's commands.
    Files.writeString(temp.resolve("thory.yaml"), transpose(block("## Add a site")));
    sh(command("sbctl apply -f thory.yaml"));
    assertThat(sh(command("sbctl get sites"))).containsPattern("(?m)^thory ");

    // Add a backend: its block answers on the transposed address and the guide's port.
    String apiThory = transpose(block("## Add a backend"));
    Matcher p = Pattern.compile("port: (\\d+)").matcher(apiThory);
    assertThat(p.find()).isTrue();
    backends.start("api-thory", "127.0.21.12", Integer.parseInt(p.group(1)));
    Files.writeString(temp.resolve("api-thory.yaml"), apiThory);
    sh(command("sbctl apply -f api-thory.yaml && sbctl wait backend/api-thory"));

    // Drain: spec.drain on the backend, apply, the guide's wait.
    await().atMost(Duration.ofSeconds(30)).until(() -> sh("sbctl get backends").contains("True"));
    Files.writeString(temp.resolve("api-dijon.yaml"), apiDijon(dijon.port, true));
    sh("sbctl apply -f api-dijon.yaml");
    sh(command("sbctl wait backend/api-dijon --for=condition=Ready=False"));
    assertThat(sh(command("sbctl get backends"))).containsPattern("(?m)^api-thory ");

    // Upgrade step 2 and the backup section, on the running hub's embedded database.
    sh(command("sbctl version"));
    sh(command("sbctl backup -o records-$(date +%F).sbbackup"));
    sh("cp records-$(date +%F).sbbackup records-2026-05-01.sbbackup");
    String restored = sh(command("sbctl restore --replace records-2026-05-01.sbbackup"));
    assertThat(restored).contains("restored");
    // The restored records hold the drill's events (not a guide command: a check).
    assertThat(sh("sbctl events")).contains("BackendDrained", "backend/api-dijon");
  }

  private static String apiDijon(int port, boolean drain) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata: {name: api-dijon}
        spec: {service: api, site: dijon, address: 127.0.20.2, port: %d%s}
        """
        .formatted(port, drain ? ", drain: true" : "");
  }

  private void startHub() throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "run",
                "--caddy-sync=off",
                "--kill-sockets=off")
            .redirectErrorStream(true)
            .redirectOutput(temp.resolve("run.log").toFile());
    environment(pb);
    processes.add(pb.start());
    await()
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .failFast(() -> !processes.getFirst().isAlive())
        .until(() -> Readyz.ready(port));
  }

  private void environment(ProcessBuilder pb) {
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    pb.environment().put("SWITCHBOARD_MANIFESTS", manifests.toString());
    pb.environment().put("SWITCHBOARD_DATA_DIR", temp.resolve("var").toString());
    pb.environment().put("SWITCHBOARD_LISTEN", "127.0.0.1:" + port);
    // The transposed fleet lives on loopback, which a hub refuses as a Site subnet unless allowed.
    pb.environment().put("SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8");
  }

  /** Runs {@code script} in bash in the temp dir, {@code sbctl} being the jar; its stdout. */
  private String sh(String script) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                "bash",
                "-c",
                "set -euo pipefail; sbctl() { '"
                    + java
                    + "' -XX:TieredStopAtLevel=1 -jar '"
                    + JAR
                    + "' \"$@\"; }; "
                    + script)
            .directory(temp.toFile())
            .redirectError(ProcessBuilder.Redirect.PIPE);
    environment(pb);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    String err = new String(p.getErrorStream().readAllBytes());
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s\nstdout: %s\nstderr: %s", script, out, err).isZero();
    return out;
  }

  /**
   * The guide's command that starts with {@code prefix}, whole and verbatim: from an inline code
   * span, or a line of a code block (without its trailing comment).
   */
  private String command(String prefix) {
    Matcher inline = Pattern.compile("`(" + Pattern.quote(prefix) + "[^`]*)`").matcher(guide);
    if (inline.find()) {
      return inline.group(1);
    }
    for (String line : guide.split("\n")) {
      if (line.startsWith(prefix)) {
        return line.replaceFirst("\\s+#.*$", "");
      }
    }
    throw new AssertionError("docs/operations.md no longer has a command starting with: " + prefix);
  }

  /** The first ```yaml block after {@code heading}. */
  private String block(String heading) {
    int at = guide.indexOf("\n" + heading + "\n");
    assertThat(at).as("section %s of docs/operations.md", heading).isNotNegative();
    Matcher m = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(guide);
    assertThat(m.find(at)).as("a yaml block in %s", heading).isTrue();
    return m.group(1).replaceAll("(?m)^   ", "");
  }

  /** Fleet addresses onto loopback; no WireGuard peer in this test. */
  private static String transpose(String yaml) {
    return yaml.replace("10.200.", "127.0.").replaceAll("(?m)^\\s*wireguard:.*\\n", "");
  }
}
