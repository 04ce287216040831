package fr.acecinema.switchboard.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/crd-reference.md} is generated from the descriptions in {@code crds/*.yml} (which the
 * build generates from the Java model), so the reference cannot drift from the schema. Regenerate
 * with {@code mvn -B -q -o test -Dtest=CrdReferenceTest -Dswitchboard.writeDocs=true}.
 */
class CrdReferenceTest {
  private static final Path FILE = Path.of("docs", "crd-reference.md");
  private static final List<String> ORDER =
      fr.acecinema.switchboard.api.Kinds.TYPES.stream()
          .map(io.fabric8.kubernetes.api.model.HasMetadata::getPlural)
          .toList();

  static String markdown() throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# CRD reference\n\n")
        .append("<!-- Generated from crds/*.yml by CrdReferenceTest; do not edit by hand.\n")
        .append(
            "     Regenerate with: mvn -B -q -o test -Dtest=CrdReferenceTest"
                + " -Dswitchboard.writeDocs=true -->\n\n")
        .append(
            "Group `switchboard.acecinema.fr`, version `v1alpha1`. Every field of `spec` a manifest"
                + " (or an API request) may declare, and the `status` Switchboard writes back.\n"
                + "Required fields are marked **required**.\n");
    for (String plural : ORDER) {
      JsonNode crd =
          new YAMLMapper()
              .readTree(Path.of("crds", plural + ".switchboard.acecinema.fr-v1.yml").toFile());
      JsonNode names = crd.at("/spec/names");
      JsonNode schema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
      md.append("\n## ").append(names.path("kind").asText()).append("\n\n");
      md.append("Plural `").append(plural).append('`');
      if (names.has("shortNames")) {
        List<String> shorts = new ArrayList<>();
        names.path("shortNames").forEach(s -> shorts.add("`" + s.asText() + "`"));
        md.append(", short names ").append(String.join(", ", shorts));
      }
      md.append(". API path `/apis/switchboard.acecinema.fr/v1alpha1/")
          .append(plural)
          .append("[/NAME]`.\n");
      for (String part : List.of("spec", "status")) {
        JsonNode node = schema.at("/properties/" + part);
        if (node.isMissingNode()) {
          continue;
        }
        md.append("\n### ").append(part).append("\n\n");
        md.append("| Field | Type | Description |\n|-------|------|-------------|\n");
        fields(md, part, node);
      }
    }
    return md.toString();
  }

  private static void fields(StringBuilder md, String path, JsonNode node) {
    Set<String> required = new HashSet<>();
    node.path("required").forEach(r -> required.add(r.asText()));
    Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields();
    List<Map.Entry<String, JsonNode>> sorted = new ArrayList<>();
    it.forEachRemaining(sorted::add);
    sorted.sort(Map.Entry.comparingByKey());
    for (Map.Entry<String, JsonNode> e : sorted) {
      String field = path + "." + e.getKey();
      JsonNode f = e.getValue();
      md.append("| `")
          .append(field)
          .append("` | ")
          .append(type(f))
          .append(" | ")
          .append(required.contains(e.getKey()) ? "**required** " : "")
          .append(f.path("description").asText("").replace("|", "\\|").replace("\n", " "))
          .append(constraints(f))
          .append(" |\n");
      if (f.has("properties")) {
        fields(md, field, f);
      } else if (f.path("items").has("properties")) {
        fields(md, field + "[]", f.path("items"));
      }
    }
  }

  private static String type(JsonNode f) {
    String type = f.path("type").asText("object");
    if (type.equals("array")) {
      return f.path("items").path("type").asText("object") + "[]";
    }
    return type;
  }

  private static String constraints(JsonNode f) {
    List<String> c = new ArrayList<>();
    if (f.has("enum")) {
      List<String> values = new ArrayList<>();
      f.path("enum").forEach(v -> values.add("`" + v.asText() + "`"));
      c.add("one of " + String.join(", ", values));
    }
    if (f.has("minimum")) {
      c.add("min " + f.path("minimum").asText());
    }
    if (f.has("maximum")) {
      c.add("max " + f.path("maximum").asText());
    }
    if (f.has("pattern")) {
      c.add("pattern `" + f.path("pattern").asText().replace("|", "\\|") + "`");
    }
    return c.isEmpty() ? "" : " (" + String.join("; ", c) + ")";
  }

  @Test
  void committedReferenceMatchesTheCrds() throws IOException {
    String generated = markdown();
    if (Boolean.getBoolean("switchboard.writeDocs")) {
      Files.writeString(FILE, generated, StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
        .as("docs/crd-reference.md is stale; regenerate it (see the class comment)")
        .isEqualTo(generated);
  }
}
