package fr.acecinema.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * What can be checked of the Dockerfile and compose.yaml without a Docker engine (none runs in CI,
 * {@code docker compose} is not installed): stages, user, health check, the jar path against the
 * build, every SWITCHBOARD_* variable against the configuration, Caddy's admin port unpublished.
 */
class ContainerFilesTest {
  private static final Path ROOT = Path.of(".");
  private static final ObjectMapper YAML = new YAMLMapper();

  @Command
  static class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  private static Set<String> variables() {
    return new CommandLine(new Holder())
        .getCommandSpec().options().stream()
            .map(o -> EnvDefaults.variableFor(o).orElseThrow())
            .collect(Collectors.toSet());
  }

  /** The Dockerfile's stages: FROM line → the instructions under it. */
  private static List<List<String>> stages() throws Exception {
    List<List<String>> stages = new ArrayList<>();
    StringBuilder joined = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
      if (line.isBlank() || line.trim().startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        joined.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      String instruction = joined.append(line).toString().trim();
      joined.setLength(0);
      if (instruction.startsWith("FROM ")) {
        stages.add(new ArrayList<>());
      }
      stages.get(stages.size() - 1).add(instruction);
    }
    return stages;
  }

  @Test
  void runtimeStageIsAJreRunningAsANonRootUserWithAHealthCheck() throws Exception {
    List<List<String>> stages = stages();
    assertThat(stages).hasSizeGreaterThanOrEqualTo(2);
    assertThat(stages.get(0).get(0)).matches("FROM \\S+ AS build");
    List<String> runtime = stages.get(stages.size() - 1);
    assertThat(runtime.get(0)).matches("FROM eclipse-temurin:21-jre\\S*");
    String user =
        runtime.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    assertThat(user.substring(5).trim()).isNotIn("root", "0", "0:0");
    int userAt = runtime.indexOf(user);
    int entrypointAt =
        runtime.indexOf(
            runtime.stream().filter(i -> i.startsWith("ENTRYPOINT")).findFirst().orElseThrow());
    assertThat(userAt).isLessThan(entrypointAt);
    assertThat(runtime)
        .anySatisfy(i -> assertThat(i).startsWith("HEALTHCHECK").contains("/healthz"));
  }

  @Test
  void copiesTheJarTheBuildMakes() throws Exception {
    Document pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(ROOT.resolve("pom.xml").toFile());
    NodeList names = pom.getElementsByTagName("finalName");
    assertThat(names.getLength()).isEqualTo(1);
    String jar = "target/" + names.item(0).getTextContent().trim() + ".jar";
    assertThat(jar).isEqualTo("target/switchboard.jar");
    List<String> runtime = stages().get(stages().size() - 1);
    String workdir =
        stages().get(0).stream()
            .filter(i -> i.startsWith("WORKDIR "))
            .findFirst()
            .orElseThrow()
            .substring(8)
            .trim();
    String copy =
        runtime.stream().filter(i -> i.startsWith("COPY --from=build")).findFirst().orElseThrow();
    String[] parts = copy.split("\\s+");
    assertThat(parts[2]).isEqualTo(workdir + "/" + jar);
    assertThat(String.join(" ", runtime)).contains(parts[3]);
    String entrypoint =
        runtime.stream().filter(i -> i.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
    assertThat(entrypoint).contains(parts[3]);
    for (String i : stages().get(0)) {
      if (i.startsWith("COPY ")) {
        assertThat(ROOT.resolve(i.split("\\s+")[1])).as(i).exists();
      }
    }
  }

  @Test
  void theImageRunsWithBinSbctlsBoundedJvmOptionsAndTheSameOverride() throws Exception {
    Matcher launcher =
        Pattern.compile("(?m)^default_java_opts=\"([^\"]*)\"$")
            .matcher(Files.readString(ROOT.resolve("bin/sbctl")));
    assertThat(launcher.find()).as("default_java_opts in bin/sbctl").isTrue();
    assertThat(launcher.group(1)).contains("-Xmx").contains("-XX:+UseSerialGC");
    List<String> runtime = stages().get(stages().size() - 1);
    String entrypoint =
        runtime.stream().filter(i -> i.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
    Matcher image = Pattern.compile("\\$\\{SWITCHBOARD_JAVA_OPTS-([^}]*)}").matcher(entrypoint);
    assertThat(image.find())
        .as("the ENTRYPOINT reads SWITCHBOARD_JAVA_OPTS: %s", entrypoint)
        .isTrue();
    assertThat(image.group(1)).isEqualTo(launcher.group(1));
    assertThat(entrypoint).contains("exec java ").contains("\\\"$@\\\"");
  }

  @Test
  void everyVariableTheFilesSetExistsAndTheResultIsAValidConfiguration() throws Exception {
    Set<String> known = variables();
    Map<String, String> env = new HashMap<>();
    for (List<String> stage : stages()) {
      for (String instruction : stage) {
        if (instruction.startsWith("ENV ")) {
          Matcher m = Pattern.compile("(SWITCHBOARD_[A-Z_]+)=(\\S+)").matcher(instruction);
          while (m.find()) {
            env.put(m.group(1), m.group(2));
          }
        }
      }
    }
    JsonNode compose = YAML.readTree(ROOT.resolve("compose.yaml").toFile());
    compose
        .at("/services/switchboard/environment")
        .fields()
        .forEachRemaining(
            e ->
                env.put(
                    e.getKey(), e.getValue().asText().replaceAll("\\$\\{[A-Z_]+:-([^}]*)}", "$1")));
    assertThat(env.keySet()).isNotEmpty().allSatisfy(v -> assertThat(known).as(v).contains(v));
    Holder holder = new Holder();
    new CommandLine(holder).setDefaultValueProvider(new EnvDefaults(env::get)).parseArgs();
    assertThat(holder.config.problems()).isEmpty();
  }

  @Test
  void composeMountsTheManifestsAndKeepsCaddysAdminPortPrivate() throws Exception {
    JsonNode services = YAML.readTree(ROOT.resolve("compose.yaml").toFile()).path("services");
    assertThat(services.fieldNames()).toIterable().contains("switchboard", "postgres", "caddy");
    String manifests = services.at("/switchboard/environment/SWITCHBOARD_MANIFESTS").asText();
    assertThat(services.at("/switchboard/volumes"))
        .anySatisfy(v -> assertThat(v.asText()).endsWith(":" + manifests));
    for (JsonNode service : services) {
      for (JsonNode port : service.path("ports")) {
        assertThat(port.asText()).doesNotContain("2019").startsWith("127.0.0.1:");
      }
    }
    // What the tests run, not a floating tag; the tools' capability must be granted to work.
    assertThat(services.at("/caddy/image").asText()).isEqualTo("caddy:2.6.2");
    assertThat(services.at("/switchboard/cap_add"))
        .anySatisfy(c -> assertThat(c.asText()).isEqualTo("NET_ADMIN"));
    assertThat(Files.readString(ROOT.resolve("Dockerfile")))
        .contains("wireguard-tools", "iproute2", "setcap cap_net_admin+ep");
    for (JsonNode volume : services.at("/caddy/volumes")) {
      String source = volume.asText().split(":")[0];
      if (source.startsWith("./")) {
        Path file = ROOT.resolve(source);
        assertThat(file).exists();
        if (file.toString().endsWith(".json")) {
          assertThat(new ObjectMapper().readTree(file.toFile()).at("/admin/listen").asText())
              .startsWith("127.0.0.1:");
        }
      }
    }
  }
}
