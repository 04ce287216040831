package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RenderCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl =
        Sbctl.commandLine(new Sbctl(new LocalFleetAccess(), Clock.systemUTC()), name -> null);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private void fleet(String backendStatus) throws IOException {
    Files.writeString(
        dir.resolve("fleet.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: dijon
        spec:
          subnet: 10.200.0.0/24
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: api
        spec:
          hosts: [api.acecinema.fr]
          pathPrefix: /api/
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-dijon
        spec:
          service: api
          site: dijon
          address: 10.200.0.23
          port: 8080
        """
            + backendStatus);
  }

  @Test
  void rendersRoutesOfBackendsWhoseLastWrittenStatusIsHealthy() throws IOException {
    fleet(
        """
        status:
          conditions:
          - type: Healthy
            status: "True"
            reason: ProbeSucceeded
            message: ok
        """);
    Run r =
        run("--manifests", dir.toString(), "--caddy-listen", "127.0.0.1:8080", "render", "caddy");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode server = new ObjectMapper().readTree(r.out());
    assertThat(server.at("/listen/0").asText()).isEqualTo("127.0.0.1:8080");
    assertThat(server.at("/routes/0/@id").asText()).isEqualTo("switchboard-route-api");
    assertThat(server.at("/routes/0/match/0/path/0").asText()).isEqualTo("/api/*");
    assertThat(server.at("/routes/0/handle/0/upstreams/0/dial").asText())
        .isEqualTo("10.200.0.23:8080");
    assertThat(r.err()).contains("1 services, 1 backends routed");
  }

  @Test
  void unprobedBackendIsRoutedButAnsweredOnlyAsALastResortUnlessAssumedReady() throws IOException {
    fleet("");
    Run plain = run("--manifests", dir.toString(), "render", "caddy");
    JsonNode server = new ObjectMapper().readTree(plain.out());
    assertThat(server.at("/routes/0/handle/0/dynamic_upstreams/name").asText()).startsWith("t0.");
    assertThat(plain.err()).contains("0 backends routed").contains("as a last resort");

    Run ready =
        run(
            "--manifests",
            dir.toString(),
            "--caddy-auto-https",
            "off",
            "render",
            "caddy",
            "--assume-ready",
            "--as-config");
    JsonNode config = new ObjectMapper().readTree(ready.out());
    JsonNode s = config.at("/apps/http/servers/switchboard");
    assertThat(s.at("/routes/0/handle/0/upstreams/0/dial").asText()).isEqualTo("10.200.0.23:8080");
    assertThat(s.at("/automatic_https/disable").asBoolean()).isTrue();
    assertThat(ready.err()).contains("--assume-ready").contains("1 backends routed");
    assertThat(ready.err()).doesNotContain("last resort");
  }

  @Test
  void withoutATargetItIsAUsageError() {
    assertThat(run("--manifests", dir.toString(), "render").code()).isEqualTo(2);
  }
}
