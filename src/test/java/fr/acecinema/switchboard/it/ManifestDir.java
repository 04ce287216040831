package fr.acecinema.switchboard.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** A watched manifest directory for tests: atomic writes, documents and conditions read back. */
public final class ManifestDir {
  private static final ObjectMapper YAML = new YAMLMapper();
  private final Path dir;

  ManifestDir(Path dir) {
    this.dir = dir;
  }

  public static String site(String name, String subnet) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: %s
        spec:
          subnet: %s
        """
        .formatted(name, subnet);
  }

  static String service(String name) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: %s
        spec:
          hosts: ["%s.acecinema.test"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """
        .formatted(name, name);
  }

  void write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
  }

  void delete(String name) throws IOException {
    Files.delete(dir.resolve(name));
  }

  /** Every document of the file, as read now. */
  List<JsonNode> docs(String name) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(Files.readString(dir.resolve(name)))) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs;
  }

  JsonNode doc(String name, int index) throws IOException {
    return docs(name).get(index);
  }

  JsonNode condition(String name, String type) throws IOException {
    return condition(name, 0, type);
  }

  /** The condition {@code type} of the file's document {@code index}; empty when it has none. */
  JsonNode condition(String name, int index, String type) throws IOException {
    for (JsonNode c : doc(name, index).at("/status/conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return YAML.createObjectNode();
  }

  String health(String name) throws IOException {
    return doc(name, 0).at("/status/health/state").asText("");
  }

  String ready(String name) throws IOException {
    return ready(name, 0);
  }

  String ready(String name, int index) throws IOException {
    return condition(name, index, "Ready").path("status").asText("");
  }

  String reason(String name, int index, String type) throws IOException {
    return condition(name, index, type).path("reason").asText("");
  }
}
