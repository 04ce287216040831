package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.LoopbackBackend;
import fr.acecinema.switchboard.testbed.TestbedManifests;
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
 * The systemd unit of docs/examples runs as documented: its {@code ExecStart} (the JDK running this
 * test standing for {@code /usr/bin/java}, the built jar at {@code /opt/switchboard}) as the {@code
 * switchboard} user, with its {@code EnvironmentFile}, in a private mount namespace laid out as the
 * unit and docs/operations.md say: {@code /etc} is an overlay (the user, the env file and {@code
 * /etc/switchboard/manifests} go to a temp dir, never to the host's /etc), {@code /var/lib}, {@code
 * /opt} and {@code /tmp} are private tmpfs. The process uses the default directories (the unit
 * passes none), becomes ready, writes the status into the manifest and keeps its records in {@code
 * /var/lib/switchboard}. Needs root (mount namespaces).
 */
class SystemdLayoutIT {
  private static final Path UNIT = Path.of("docs", "examples", "systemd", "switchboard.service");
  private static final Path JAR = Path.of("target", "switchboard.jar");

  @TempDir Path temp;
  private Process process;
  private LoopbackBackend backend;

  @AfterEach
  void stop() throws Exception {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void theUnitsExecStartRunsWithTheDefaultDirectoriesAsItsUser() throws Exception {
    String unit = Files.readString(UNIT);
    assertThat(directive(unit, "User")).isEqualTo("switchboard");
    assertThat(directive(unit, "StateDirectory")).isEqualTo("switchboard");
    assertThat(directive(unit, "ReadWritePaths")).isEqualTo("/etc/switchboard/manifests");
    String envFile = directive(unit, "EnvironmentFile").replaceFirst("^-", "");
    List<String> exec = new ArrayList<>(List.of(directive(unit, "ExecStart").split(" ")));
    assertThat(exec.getFirst()).isEqualTo("/usr/bin/java");
    assertThat(String.join(" ", exec)).endsWith("-jar /opt/switchboard/switchboard.jar run");
    exec.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());

    backend = LoopbackBackend.start("api-1");
    int port = CaddyProcess.freePort();
    Path upper = Files.createDirectories(temp.resolve("etc-upper"));
    Path work = Files.createDirectories(temp.resolve("etc-work"));
    Path log = temp.resolve("run.log");
    Path fleet = temp.resolve("fleet.yaml");
    Files.writeString(
        fleet,
        String.join(
            "---\n",
            "apiVersion: switchboard.acecinema.fr/v1alpha1\nkind: Site\nmetadata: {name: local}\n"
                + "spec: {subnet: 127.0.0.0/24}\n",
            TestbedManifests.service("api", "api.test", "  healthCheck: {path: /health}"),
            TestbedManifests.backend("api-1", "api", "local", "127.0.0.1", backend.port(), 1, "")));
    Path env = temp.resolve("switchboard.env");
    Files.writeString(
        env,
        """
        # what an operator puts in %s (no Caddy in this test)
        SWITCHBOARD_LISTEN=127.0.0.1:%d
        SWITCHBOARD_CADDY_SYNC=off
        SWITCHBOARD_ALLOW_SUBNETS=127.0.0.0/24
        """
            .formatted(envFile, port));
    String script =
        String.join(
            "\n",
            "set -euo pipefail",
            "mount -t overlay overlay -o lowerdir=/etc,upperdir="
                + upper
                + ",workdir="
                + work
                + " /etc",
            "mount -t tmpfs tmpfs /var/lib",
            "mount -t tmpfs tmpfs /opt",
            "useradd --system --no-create-home --shell /usr/sbin/nologin switchboard",
            // What docs/operations.md has the operator do; systemd itself creates StateDirectory.
            "install -d -o switchboard -g switchboard /etc/switchboard/manifests",
            "install -o switchboard -g switchboard " + fleet + " /etc/switchboard/manifests/",
            "install -m 600 " + env + " " + envFile,
            "install -d -o switchboard -g switchboard -m 750 /var/lib/switchboard",
            "install -d /opt/switchboard && cp " + JAR.toAbsolutePath() + " /opt/switchboard/",
            "set -a; . " + envFile + "; set +a",
            // Last: the test's temp dir is under /tmp (PrivateTmp= in the unit).
            "mount -t tmpfs tmpfs /tmp",
            "cd /",
            "exec runuser -u switchboard -- " + String.join(" ", exec));
    ProcessBuilder pb =
        new ProcessBuilder(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--fork",
                "--kill-child",
                "bash",
                "-c",
                script)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    process = pb.start();

    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .failFast(() -> !process.isAlive())
          .until(() -> Readyz.ready(port));
    } catch (RuntimeException e) {
      throw new AssertionError("not ready; the log:\n" + readLog(log), e);
    }
    Path manifest = upper.resolve("switchboard/manifests/fleet.yaml");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Files.readString(manifest).contains("reason: Serving"));
    await("records in the state directory")
        .atMost(Duration.ofSeconds(60))
        .until(() -> readLog(log).contains("(data /var/lib/switchboard/postgres)"));
    assertThat(Files.exists(Path.of("/etc/switchboard"))).as("the host's /etc untouched").isFalse();
  }

  private static String directive(String unit, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "=(.*)$").matcher(unit);
    assertThat(m.find()).as("%s= in %s", name, UNIT).isTrue();
    return m.group(1).strip();
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
