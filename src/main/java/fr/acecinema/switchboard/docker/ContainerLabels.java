package fr.acecinema.switchboard.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.validation.Problem;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a container's {@code switchboard.*} labels (pure):
 *
 * <pre>
 * switchboard.service=api          required, a Service name
 * switchboard.port=8080            required, 1-65535
 * switchboard.weight=10            optional, 1-100
 * switchboard.role=standby         optional, primary or standby
 * switchboard.health.path=/_health optional, starts with /
 * </pre>
 *
 * <p>The rules are not written here a second time: the labels are checked by the manifest validator
 * ({@link SchemaValidator}) against a schema whose fields are taken from the Backend CRD the build
 * generates from {@link BackendSpec} (service, port, weight, role, and the health check's path), so
 * a range or pattern changed in the model changes what labels accept, and the messages are the ones
 * {@code sbctl apply} gives ("70000 is above the maximum 65535; use a TCP port between 1 and
 * 65535", "did you mean ..."). Labels are strings: a label that the schema wants as a number and
 * that is written in digits is handed over as a number. Each problem is then named by its label
 * instead of its field path.
 */
public final class ContainerLabels {
  /** Every label Switchboard reads starts with this. */
  public static final String PREFIX = "switchboard.";

  public static final String SERVICE = PREFIX + "service";
  public static final String PORT = PREFIX + "port";
  public static final String WEIGHT = PREFIX + "weight";
  public static final String ROLE = PREFIX + "role";
  public static final String HEALTH_PATH = PREFIX + "health.path";

  /** The labels read, in the order a fix lists them. */
  public static final List<String> KNOWN = List.of(SERVICE, PORT, WEIGHT, ROLE, HEALTH_PATH);

  private static final Map<String, String> EXAMPLES =
      Map.of(
          SERVICE, "api",
          PORT, "8080",
          WEIGHT, "10",
          ROLE, "primary",
          HEALTH_PATH, "/health");
  private static final String KIND = "ContainerLabels";
  private static final String API_VERSION = "labels.switchboard.acecinema.fr/v1";
  private static final Pattern DID_YOU_MEAN = Pattern.compile("did you mean '([^']+)'\\?");
  private static final Pattern DIGITS = Pattern.compile("-?[0-9]+");
  // Parts the validator prints as plain dotted paths; anything else cannot be a label of ours.
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_-]+");

  private static final JsonNode LABEL_SCHEMA = labelSchema(backendSpecSchema());
  private static final SchemaValidator VALIDATOR =
      new SchemaValidator(List.of(crd(LABEL_SCHEMA)), SubnetPolicy.SITES_ONLY);

  /** What a container's labels say. */
  public sealed interface Reading {
    /** No {@code switchboard.*} label: the container is none of Switchboard's business. */
    record NotManaged() implements Reading {}

    /** Valid labels. */
    record Registered(ContainerRegistration registration) implements Reading {}

    /**
     * Labels Switchboard cannot use.
     *
     * @param container the container's name, as messages name it
     * @param problems each with {@link Problem#path()} the label, e.g. {@code switchboard.port}
     */
    record Rejected(String container, List<Problem> problems) implements Reading {
      public Rejected {
        problems = List.copyOf(problems);
      }

      /**
       * One line per problem, e.g. {@code container web1: label switchboard.port: 70000 is above
       * the maximum 65535; use a TCP port between 1 and 65535}.
       */
      public String describe() {
        return String.join(
            "\n",
            problems.stream()
                .map(p -> "container " + container + ": label " + p.describe())
                .toList());
      }
    }
  }

  private ContainerLabels() {}

  /**
   * Reads the labels of {@code container} (its name, used in messages only). Labels outside {@value
   * #PREFIX} are ignored.
   */
  public static Reading read(String container, Map<String, String> labels) {
    // Sorted: problems come in the same order whatever the engine's map order.
    Map<String, String> ours = new TreeMap<>();
    labels.forEach(
        (k, v) -> {
          if (k.startsWith(PREFIX)) {
            ours.put(k, v);
          }
        });
    if (ours.isEmpty()) {
      return new Reading.NotManaged();
    }
    List<Problem> problems = new ArrayList<>();
    ObjectNode spec = JsonNodeFactory.instance.objectNode();
    Map<String, Placement> placed = new TreeMap<>();
    ours.forEach((label, value) -> place(label, value, spec, placed, problems));
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("apiVersion", API_VERSION);
    doc.put("kind", KIND);
    // A fixed name: the container's own (Docker allows '_', capitals) is not the question here.
    doc.putObject("metadata").put("name", "container");
    doc.set("spec", spec);
    for (Problem p : VALIDATOR.validate(doc)) {
      problems.add(asLabelProblem(p, placed));
    }
    if (!problems.isEmpty()) {
      return new Reading.Rejected(container, problems);
    }
    return new Reading.Registered(registration(spec));
  }

  /**
   * Where a label went in the spec tree: the validator's path names the field, the label names what
   * the user wrote.
   *
   * @param label the whole label, e.g. {@code switchboard.helth.path}
   * @param rest what follows the placed part, e.g. {@code .path} when {@code helth} was placed
   */
  private record Placement(String label, String rest) {}

  /**
   * Puts one label into the spec tree at the path its dots spell ({@code switchboard.health.path} →
   * {@code health.path}), so the validator sees it where the schema has it. A label that cannot be
   * placed (it names a group such as {@code switchboard.health}, goes below a single value such as
   * {@code switchboard.port.x}, or has an empty or odd part) is reported here; a misspelt name is
   * placed under its first unknown part, so the validator's "did you mean" names the right one.
   */
  private static void place(
      String label,
      String value,
      ObjectNode spec,
      Map<String, Placement> placed,
      List<Problem> problems) {
    String[] parts = label.substring(PREFIX.length()).split("\\.", -1);
    JsonNode schema = LABEL_SCHEMA;
    ObjectNode node = spec;
    String path = "spec";
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      boolean last = i == parts.length - 1;
      JsonNode child = schema.path("properties").path(part);
      boolean group = "object".equals(child.path("type").asText());
      if (!PART.matcher(part).matches()
          || (last && group)
          || (!last && !child.isMissingNode() && !group)) {
        problems.add(unknownLabel(label));
        return;
      }
      path = path + "." + part;
      if (last || child.isMissingNode()) {
        node.set(part, typed(child, value));
        String rest =
            i + 1 < parts.length
                ? "." + String.join(".", List.of(parts).subList(i + 1, parts.length))
                : "";
        placed.put(path, new Placement(label, rest));
        return;
      }
      node = node.has(part) ? (ObjectNode) node.get(part) : node.putObject(part);
      schema = child;
    }
  }

  private static JsonNode typed(JsonNode schema, String value) {
    if ("integer".equals(schema.path("type").asText()) && DIGITS.matcher(value).matches()) {
      return JsonNodeFactory.instance.numberNode(new BigInteger(value));
    }
    return JsonNodeFactory.instance.textNode(value);
  }

  private static Problem unknownLabel(String label) {
    return new Problem(
        label, "is not a label Switchboard reads", "use " + String.join(", ", KNOWN));
  }

  /** The validator's problem at {@code spec.port}, told of the label {@code switchboard.port}. */
  private static Problem asLabelProblem(Problem p, Map<String, Placement> placed) {
    if (!p.path().startsWith("spec.")) {
      // Only a bug could put a problem outside the labels' spec; shown as is rather than lost.
      return p;
    }
    Placement at = placed.get(p.path());
    String label = at != null ? at.label() : PREFIX + p.path().substring("spec.".length());
    if (p.message().equals("required field missing")) {
      return new Problem(
          label, "is missing", "add the label " + label + "=" + EXAMPLES.getOrDefault(label, "…"));
    }
    if (p.message().equals("unknown field")) {
      Matcher m = DID_YOU_MEAN.matcher(p.fix());
      String parent = PREFIX + p.path().substring("spec.".length(), p.path().lastIndexOf('.') + 1);
      String rest = at == null ? "" : at.rest();
      return new Problem(
          label,
          "is not a label Switchboard reads",
          m.find()
              ? "did you mean '" + parent + m.group(1) + rest + "'?"
              : "use " + String.join(", ", KNOWN));
    }
    return new Problem(label, p.message(), p.fix());
  }

  private static ContainerRegistration registration(JsonNode spec) {
    JsonNode weight = spec.path("weight");
    JsonNode role = spec.path("role");
    JsonNode path = spec.path("health").path("path");
    return new ContainerRegistration(
        spec.path("service").asText(),
        spec.path("port").asInt(),
        weight.isNumber() ? OptionalInt.of(weight.asInt()) : OptionalInt.empty(),
        role.isTextual()
            ? Optional.of(BackendSpec.Role.valueOf(role.asText().toUpperCase(Locale.ROOT)))
            : Optional.empty(),
        path.isTextual() ? Optional.of(path.asText()) : Optional.empty());
  }

  /**
   * The labels' schema: fields of the Backend's spec, arranged as the labels' dots arrange them.
   */
  private static JsonNode labelSchema(JsonNode backend) {
    JsonNode props = backend.path("properties");
    ObjectNode schema = JsonNodeFactory.instance.objectNode();
    schema.put("type", "object");
    schema.putArray("required").add("service").add("port");
    ObjectNode p = schema.putObject("properties");
    for (String field : List.of("service", "port", "weight", "role")) {
      p.set(field, props.path(field).deepCopy());
    }
    ObjectNode health = p.putObject("health");
    health.put("type", "object");
    health
        .putObject("properties")
        .set("path", props.path("healthCheck").path("properties").path("path").deepCopy());
    return schema;
  }

  private static ObjectNode crd(JsonNode specSchema) {
    ObjectNode crd = JsonNodeFactory.instance.objectNode();
    ObjectNode spec = crd.putObject("spec");
    spec.put("group", API_VERSION.substring(0, API_VERSION.indexOf('/')));
    spec.putObject("names").put("kind", KIND);
    ObjectNode version = spec.putArray("versions").addObject();
    version.put("name", API_VERSION.substring(API_VERSION.indexOf('/') + 1));
    version
        .putObject("schema")
        .putObject("openAPIV3Schema")
        .putObject("properties")
        .set("spec", specSchema);
    return crd;
  }

  private static JsonNode backendSpecSchema() {
    String resource = "/crds/" + HasMetadata.getFullResourceName(Backend.class) + "-v1.yml";
    try (InputStream in = ContainerLabels.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            resource + " is not on the classpath (mvn process-classes)");
      }
      JsonNode schema =
          new YAMLMapper()
              .readTree(in)
              .path("spec")
              .path("versions")
              .path(0)
              .path("schema")
              .path("openAPIV3Schema")
              .path("properties")
              .path("spec");
      if (!schema.path("properties").has("port")) {
        throw new IllegalStateException(resource + " has no Backend spec schema with a port");
      }
      return schema;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
