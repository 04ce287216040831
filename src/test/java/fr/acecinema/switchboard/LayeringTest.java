package fr.acecinema.switchboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rule, checked on the sources: {@code cli} on top, then {@code app} (the composition
 * root, which only the CLI calls), then {@code server}, all sitting on {@code operator}, {@code
 * fleet} and the packages below; nothing below a layer may reach it. References are found as
 * imports and as fully qualified names, so {@code fr.acecinema.switchboard.cli.X} written inline is
 * caught too.
 */
class LayeringTest {
  private static final String ROOT = "fr.acecinema.switchboard";
  private static final Path SOURCES = Path.of("src/main/java/fr/acecinema/switchboard");
  private static final Pattern REFERENCE =
      Pattern.compile("\\bfr\\.acecinema\\.switchboard\\.([a-z0-9_]+)\\.");

  /** Top-level package → the top-level packages it must never reference. */
  private static Set<String> forbiddenFor(String pkg) {
    return switch (pkg) {
      case "cli" -> Set.of();
      // The composition root builds everything; only the CLI calls it.
      case "app" -> Set.of("cli");
      case "server" -> Set.of("cli", "app");
      // The model is the bottom: it knows nothing else of Switchboard.
      case "api" ->
          Set.of(
              "cli",
              "app",
              "server",
              "fleet",
              "operator",
              "reconciler",
              "runtime",
              "source",
              "manifest",
              "validation",
              "probe",
              "caddy",
              "postgres",
              "wireguard",
              "notify",
              "config");
      // The runtime drives reconcilers from any source; it must not know the sources or kinds.
      case "runtime" ->
          Set.of("cli", "app", "server", "fleet", "operator", "reconciler", "source", "manifest");
      default -> Set.of("cli", "app", "server");
    };
  }

  @Test
  void noPackageBelowTheTopLayersReachesThem() {
    assertThat(violations(sources())).isEmpty();
  }

  @Test
  void serverReachingCliIsReported() {
    Map<String, String> sources =
        Map.of(
            "server/ResourceApi.java",
            "package fr.acecinema.switchboard.server;\n"
                + "import fr.acecinema.switchboard.cli.ResourceRow;\n");
    assertThat(violations(sources))
        .containsExactly(
            "server/ResourceApi.java: server must not use cli (fr.acecinema.switchboard.cli.)");
  }

  @Test
  void aLowerPackageNamingCliOrServerInlineIsReported() {
    Map<String, String> sources =
        Map.of(
            "operator/Switchboard.java",
            "package fr.acecinema.switchboard.operator;\n"
                + "class X { fr.acecinema.switchboard.server.ApiServer api;"
                + " fr.acecinema.switchboard.cli.Wiring w; }\n",
            "fleet/ManifestFleet.java",
            "package fr.acecinema.switchboard.fleet;\nimport fr.acecinema.switchboard.cli.Ages;\n");
    assertThat(violations(sources)).hasSize(3);
  }

  @Test
  void cliUsingServerAndServerUsingFleetAreAllowed() {
    Map<String, String> sources =
        Map.of(
            "cli/LocalLauncher.java",
            "package fr.acecinema.switchboard.cli;\nimport fr.acecinema.switchboard.server.ApiServer;\n",
            "server/ResourceApi.java",
            "package fr.acecinema.switchboard.server;\n"
                + "import fr.acecinema.switchboard.fleet.ResourceRow;\n"
                + "import fr.acecinema.switchboard.operator.Readiness;\n");
    assertThat(violations(sources)).isEmpty();
  }

  @Test
  void scansTheRealSources() {
    // Guards against a wrong working directory making the real check vacuous.
    assertThat(sources()).containsKey("server/ApiServer.java").hasSizeGreaterThan(50);
  }

  /** One line per forbidden reference, naming the file. */
  static List<String> violations(Map<String, String> sources) {
    List<String> found = new ArrayList<>();
    sources.forEach(
        (file, text) -> {
          String pkg = topPackage(text);
          Set<String> forbidden = forbiddenFor(pkg);
          Matcher m = REFERENCE.matcher(text);
          while (m.find()) {
            if (forbidden.contains(m.group(1))) {
              found.add(file + ": " + pkg + " must not use " + m.group(1) + " (" + m.group() + ")");
            }
          }
        });
    return found;
  }

  private static String topPackage(String text) {
    Matcher m =
        Pattern.compile("(?m)^package\\s+" + Pattern.quote(ROOT) + "\\.([a-z0-9_]+)").matcher(text);
    return m.find() ? m.group(1) : "";
  }

  /** Every main source file, by path relative to the root package. */
  private static Map<String, String> sources() {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        out.put(SOURCES.relativize(f).toString().replace('\\', '/'), Files.readString(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
