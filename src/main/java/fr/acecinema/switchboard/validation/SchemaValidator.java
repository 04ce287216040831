package fr.acecinema.switchboard.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates a whole manifest document (apiVersion, kind, metadata, spec) against the schemas of the
 * CRDs the build generates from the model into {@code crds/}, then runs the document-local checks
 * of {@link SpecChecks}. {@code status} is ignored: Switchboard writes it.
 *
 * <p>Hand-written rather than a JSON-schema library: the CRDs use a small subset of OpenAPI v3,
 * every message must name the field and a fix in the user's terms (YAML mappings and lists, field
 * nouns, "did you mean"), and unknown fields must be rejected although CRD schemas allow them;
 * unknown schema keywords fail at load time so no constraint is skipped silently.
 */
public final class SchemaValidator implements DocumentValidator {
  private static final Set<String> TOP_LEVEL =
      Set.of("apiVersion", "kind", "metadata", "spec", "status");
  private static final List<String> METADATA =
      List.of(
          "name",
          "namespace",
          "labels",
          "annotations",
          "generation",
          "uid",
          "resourceVersion",
          "creationTimestamp");
  private static final Pattern DNS_LABEL = Pattern.compile(Hints.DNS_LABEL);

  /** A kind's expected apiVersion and the schema of its spec. */
  private record KindSchema(String apiVersion, JsonNode spec) {}

  private final Map<String, KindSchema> kinds;
  private final SchemaWalker walker = new SchemaWalker();
  private final SubnetPolicy subnets;

  /**
   * Loads the CRDs of {@link Site}, {@link Service} and {@link Backend} from the classpath; Site
   * subnets follow {@link SubnetPolicy#SITES_ONLY}.
   */
  public SchemaValidator() {
    this(SubnetPolicy.SITES_ONLY);
  }

  /** As {@link #SchemaValidator()}, with Site subnets checked against {@code subnets}. */
  public SchemaValidator(SubnetPolicy subnets) {
    this(loadCrds(fr.acecinema.switchboard.api.Kinds.TYPES), subnets);
  }

  /**
   * @param crds CustomResourceDefinition documents, one per kind
   * @param subnets which Site subnets are accepted
   * @throws IllegalStateException when a CRD is malformed or uses an unsupported schema keyword
   */
  public SchemaValidator(List<JsonNode> crds, SubnetPolicy subnets) {
    this.subnets = subnets;
    Map<String, KindSchema> byKind = new LinkedHashMap<>();
    for (JsonNode crd : crds) {
      String kind = crd.path("spec").path("names").path("kind").asText();
      String group = crd.path("spec").path("group").asText();
      JsonNode version = crd.path("spec").path("versions").path(0);
      JsonNode schema =
          version.path("schema").path("openAPIV3Schema").path("properties").path("spec");
      if (kind.isEmpty() || group.isEmpty() || !schema.isObject()) {
        throw new IllegalStateException("not a CRD with a spec schema: " + crd.path("metadata"));
      }
      SchemaWalker.checkSupported(schema, kind + ".spec");
      byKind.put(kind, new KindSchema(group + "/" + version.path("name").asText(), schema));
    }
    // Sorted: "write one of …" lists the kinds in the same order on every run.
    this.kinds = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(byKind));
  }

  /** The kinds this validator knows, e.g. Site, Service, Backend. */
  public Set<String> kinds() {
    return kinds.keySet();
  }

  @Override
  public List<Problem> validate(JsonNode document) {
    List<Problem> out = new ArrayList<>();
    try {
      validateDocument(document, out);
    } catch (RuntimeException e) {
      // Never throw on input: a bug here must surface as a rejection, not kill a source.
      out.add(new Problem(Paths.ROOT, "could not be validated (" + e + ")", "report this bug"));
    }
    return out;
  }

  private void validateDocument(JsonNode doc, List<Problem> out) {
    if (doc == null || doc.isNull() || doc.isMissingNode()) {
      out.add(
          new Problem(
              Paths.ROOT,
              "the document is empty",
              "write a "
                  + fr.acecinema.switchboard.api.Kinds.listed()
                  + " with apiVersion, kind, metadata and spec, or"
                  + " delete the empty document"));
      return;
    }
    if (!doc.isObject()) {
      out.add(
          new Problem(
              Paths.ROOT,
              "is " + Hints.describe(doc) + ", not a mapping",
              "a manifest is a mapping with apiVersion, kind, metadata and spec at the top level;"
                  + " remove any leading '- '"));
      return;
    }
    for (Map.Entry<String, JsonNode> e : doc.properties()) {
      if (!TOP_LEVEL.contains(e.getKey())) {
        out.add(
            SchemaWalker.unknownField(
                Paths.child(Paths.ROOT, e.getKey()), e.getKey(), List.copyOf(TOP_LEVEL)));
      }
    }
    KindSchema kind = checkKind(doc, out);
    checkMetadata(doc.get("metadata"), out);
    if (kind == null) {
      return;
    }
    JsonNode spec = doc.get("spec");
    if (spec == null) {
      List<String> required = new ArrayList<>();
      kind.spec().path("required").forEach(r -> required.add(r.asText()));
      out.add(
          new Problem(
              "spec",
              "required field missing",
              "add spec: with at least " + String.join(", ", required)));
      return;
    }
    walker.walk(kind.spec(), spec, "spec", "spec", out);
    if (spec.isObject()) {
      SpecChecks.check(doc.path("kind").asText(), spec, subnets, out);
    }
  }

  private KindSchema checkKind(JsonNode doc, List<Problem> out) {
    JsonNode apiVersion = doc.get("apiVersion");
    JsonNode kind = doc.get("kind");
    String expectedVersion = kinds.values().iterator().next().apiVersion();
    if (apiVersion == null || !apiVersion.isTextual()) {
      out.add(
          new Problem(
              "apiVersion",
              apiVersion == null ? "required field missing" : "expected a string",
              "write apiVersion: " + expectedVersion));
    }
    if (kind == null || !kind.isTextual()) {
      out.add(
          new Problem(
              "kind",
              kind == null ? "required field missing" : "expected a string",
              "write kind: followed by one of " + String.join(", ", kinds.keySet())));
      return null;
    }
    KindSchema schema = kinds.get(kind.asText());
    if (schema == null) {
      out.add(
          new Problem(
              "kind",
              "'" + kind.asText() + "' is not a Switchboard kind",
              Hints.closest(kind.asText(), kinds.keySet())
                  .map(s -> "did you mean '" + s + "'?")
                  .orElse("write one of " + String.join(", ", kinds.keySet()))));
      return null;
    }
    if (apiVersion != null
        && apiVersion.isTextual()
        && !apiVersion.asText().equals(schema.apiVersion())) {
      out.add(
          new Problem(
              "apiVersion",
              "'" + apiVersion.asText() + "' is not the API version of " + kind.asText(),
              "write apiVersion: " + schema.apiVersion()));
    }
    return schema;
  }

  private static void checkMetadata(JsonNode meta, List<Problem> out) {
    if (meta == null) {
      out.add(
          new Problem(
              "metadata", "required field missing", "add metadata: with at least a name: line"));
      return;
    }
    if (!meta.isObject()) {
      out.add(
          new Problem(
              "metadata",
              "expected a mapping, got " + Hints.describe(meta),
              "write metadata: with an indented name: line"));
      return;
    }
    for (Map.Entry<String, JsonNode> e : meta.properties()) {
      String key = e.getKey();
      JsonNode v = e.getValue();
      String path = Paths.child("metadata", key);
      switch (key) {
        case "name" -> checkName(v, out);
        case "labels", "annotations" -> checkStringMap(v, path, out);
        case "generation" -> {
          if (!v.isIntegralNumber()) {
            out.add(new Problem(path, "expected a whole number", "remove it; Switchboard sets it"));
          }
        }
        default -> {
          if (!METADATA.contains(key)) {
            out.add(SchemaWalker.unknownField(path, key, METADATA));
          } else if (!v.isTextual()) {
            out.add(new Problem(path, "expected a string, got " + Hints.describe(v), "quote it"));
          }
        }
      }
    }
    if (!meta.has("name")) {
      out.add(
          new Problem(
              "metadata.name",
              "required field missing",
              "add name: a unique lowercase name for the resource, e.g. dijon"));
    }
  }

  private static void checkName(JsonNode v, List<Problem> out) {
    if (!v.isTextual() || v.asText().isEmpty()) {
      out.add(
          new Problem(
              "metadata.name",
              v.isTextual() ? "is empty" : "expected a string, got " + Hints.describe(v),
              "write a lowercase name, e.g. dijon"));
      return;
    }
    String name = v.asText();
    if (name.length() > 63) {
      out.add(
          new Problem(
              "metadata.name",
              "'" + name + "' is " + name.length() + " characters long, more than 63",
              "shorten it to at most 63 characters"));
    } else if (!DNS_LABEL.matcher(name).matches()) {
      out.add(
          new Problem(
              "metadata.name",
              "'" + name + "' is not a valid name",
              Hints.NAME_FIX + Hints.asName(name).map(s -> ", e.g. '" + s + "'").orElse("")));
    }
  }

  private static void checkStringMap(JsonNode v, String path, List<Problem> out) {
    if (!v.isObject()) {
      out.add(
          new Problem(
              path,
              "expected a mapping, got " + Hints.describe(v),
              "write indented 'key: value' lines"));
      return;
    }
    for (Map.Entry<String, JsonNode> e : v.properties()) {
      if (!e.getValue().isTextual()) {
        out.add(
            new Problem(
                Paths.child(path, e.getKey()),
                "expected a string, got " + Hints.describe(e.getValue()),
                "quote the value: \"" + e.getValue().asText() + "\""));
      }
    }
  }

  private static List<JsonNode> loadCrds(List<? extends Class<? extends HasMetadata>> types) {
    YAMLMapper yaml = new YAMLMapper();
    List<JsonNode> crds = new ArrayList<>();
    for (Class<? extends HasMetadata> type : types) {
      String resource = "/crds/" + HasMetadata.getFullResourceName(type) + "-v1.yml";
      try (InputStream in = SchemaValidator.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException(
              resource
                  + " is not on the classpath; the build copies crds/ there (mvn process-classes)");
        }
        crds.add(yaml.readTree(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + resource, e);
      }
    }
    return crds;
  }
}
