package fr.acecinema.switchboard.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest directory the hub operator watches: Sites as the testbed exposes them (WireGuard
 * peers of the hub's interface), Services, Backends on 10.200.N.x; atomic writes, statuses read
 * back from the files the operator writes them into.
 */
public final class TestbedManifests {
  private static final ObjectMapper YAML = new YAMLMapper();
  private final Path dir;

  public TestbedManifests(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * A testbed site ({@code dijon} = 10.200.0.0/24, {@code thory} = 10.200.1.0/24) watched through
   * its WireGuard peer on the hub: the sites keep alive every second, so 2.5 s without received
   * bytes is a dead tunnel.
   */
  public static String site(String name, int index, int priority) {
    return plainSite(name, index, priority)
        + """
          wireguard:
            interface: %s
            publicKey: "%s"
            trafficTimeout: 2500ms
        """
            .formatted(Testbed.HUB_WG, Testbed.publicKey(name));
  }

  /** A Site as a user first writes it: a subnet and a priority, nothing tuned. */
  public static String plainSite(String name, int index, int priority) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: %s
        spec:
          subnet: 10.200.%d.0/24
          priority: %d
        """
        .formatted(name, index, priority);
  }

  /**
   * A Service. {@code spec} is the YAML under {@code spec:} after {@code hosts} (indented by two
   * spaces), e.g. a healthCheck, loadBalancing and failover block.
   */
  public static String service(String name, String host, String spec) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: %s
        spec:
          hosts: ["%s"]
        %s"""
        .formatted(name, host, spec.stripTrailing() + "\n");
  }

  /** A Backend; {@code extra} is appended under {@code spec:} (e.g. {@code " role: standby\n"}). */
  public static String backend(
      String name, String service, String site, String address, int weight, String extra) {
    return backend(name, service, site, address, 8080, weight, extra);
  }

  /** As {@link #backend(String, String, String, String, int, String)} on {@code port}. */
  public static String backend(
      String name,
      String service,
      String site,
      String address,
      int port,
      int weight,
      String extra) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: %s
          site: %s
          address: "%s"
          port: %d
          weight: %d
        %s"""
        .formatted(name, service, site, address, port, weight, extra);
  }

  /** Writes documents (joined by {@code ---}) into {@code name}, atomically. */
  public void write(String name, String... documents) throws IOException {
    Path p = dir.resolve(name);
    Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
    Files.writeString(tmp, String.join("---\n", documents));
    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The documents of a file as the operator last wrote them (statuses included). */
  public List<JsonNode> docs(String name) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(Files.readString(dir.resolve(name)))) {
      YAML.readValues(parser, JsonNode.class)
          .forEachRemaining(
              d -> {
                if (d != null && !d.isNull() && !d.isEmpty()) {
                  docs.add(d);
                }
              });
    }
    return docs;
  }

  /**
   * {@code status/reason} of condition {@code type} of resource {@code resource} in file {@code
   * name}, e.g. {@code "False/TunnelDown"}; {@code ""} when absent.
   */
  public String condition(String name, String resource, String type) throws IOException {
    for (JsonNode d : docs(name)) {
      if (d.at("/metadata/name").asText().equals(resource)) {
        for (JsonNode c : d.at("/status/conditions")) {
          if (c.path("type").asText().equals(type)) {
            return c.path("status").asText() + "/" + c.path("reason").asText();
          }
        }
      }
    }
    return "";
  }
}
