package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.RecordItems;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl rollout undo deployment/NAME [--to-revision N]}: puts a former revision's template
 * (image, port, env, primaryEnv) back into the Deployment's spec, as kubectl does; the hub then
 * rolls it out as a new revision. The write goes where the Deployment is declared (its file's
 * document rewritten in place, or its row, or the API's PUT), guarded by the generation read, so a
 * concurrent edit is refused rather than lost. The rest of the spec and the metadata stay; the
 * status is the operator's to write back.
 */
@Command(
    name = "undo",
    description =
        "Roll a Deployment back: its spec's image, port, env and primaryEnv become a former"
            + " revision's (by default the one before the revision the spec asks for), where it is"
            + " declared; the hub rolls that out.")
final class RolloutUndoCommand implements Callable<Integer> {
  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build();

  @ParentCommand RolloutCommand parent;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..2", paramLabel = "deployment/NAME", description = "e.g. deploy/api.")
  List<String> resource;

  @Option(
      names = "--to-revision",
      paramLabel = "N",
      description =
          "The revision to go back to: the current or previous one (from the status), or any"
              + " older one recorded in PostgreSQL (sbctl rollout history).")
  Integer toRevision;

  /** What a revision runs: the part of the spec a rollback puts back. */
  record Former(
      int revision,
      String image,
      Integer port,
      Map<String, String> env,
      Map<String, String> primaryEnv) {
    Former {
      env = env == null ? Map.of() : new TreeMap<>(env);
      primaryEnv = primaryEnv == null ? Map.of() : new TreeMap<>(primaryEnv);
    }

    /** {@code status.current} or {@code status.previous}; empty when absent or incomplete. */
    static Optional<Former> of(JsonNode template) {
      if (!template.path("revision").isNumber() || !template.path("image").isTextual()) {
        return Optional.empty();
      }
      return Optional.of(
          new Former(
              template.path("revision").asInt(),
              template.path("image").asText(),
              port(template),
              strings(template.path("env")),
              strings(template.path("primaryEnv"))));
    }

    static Former of(DeploymentRevision r) {
      return new Former(r.revision(), r.image(), r.port(), r.env(), r.primaryEnv());
    }

    /** Whether {@code spec} asks for this template already (an absent env is an empty one). */
    boolean matches(JsonNode spec) {
      return image.equals(spec.path("image").asText(null))
          && Objects.equals(port, port(spec))
          && env.equals(strings(spec.path("env")))
          && primaryEnv.equals(strings(spec.path("primaryEnv")));
    }

    private static Integer port(JsonNode node) {
      return node.path("port").isNumber() ? node.path("port").asInt() : null;
    }

    private static Map<String, String> strings(JsonNode object) {
      Map<String, String> out = new TreeMap<>();
      object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    }
  }

  /** What undo does. */
  sealed interface Decision {
    /** Write {@code former}'s template into the spec. */
    record RollBack(Former former) implements Decision {}

    /** The spec already asks for revision {@code revision}'s template: nothing to write. */
    record Skip(int revision) implements Decision {}
  }

  /**
   * The revisions recorded in PostgreSQL, read only when the status does not have the one asked.
   */
  @FunctionalInterface
  interface Recorded {
    List<DeploymentRevision> revisions() throws IOException;
  }

  /**
   * Decides from the Deployment's spec and status (pure but for {@code recorded}). Without {@code
   * toRevision}: the newest of status.current and status.previous whose template is not the spec's,
   * i.e. status.previous, or status.current after an automatic rollback (the spec still asks for
   * the template that failed, status.previous then).
   */
  static Decision decide(
      ResourceKey key, JsonNode spec, JsonNode status, Integer toRevision, Recorded recorded)
      throws IOException {
    String name = "deployment \"" + key.name() + "\"";
    List<Former> known =
        Stream.of(Former.of(status.path("current")), Former.of(status.path("previous")))
            .flatMap(Optional::stream)
            .sorted(Comparator.comparingInt(Former::revision).reversed())
            .toList();
    if (toRevision == null) {
      if (known.isEmpty()) {
        throw new IllegalStateException(
            name + " has no revision yet (the hub has not planned it): nothing to roll back to");
      }
      Optional<Former> target = known.stream().filter(f -> !f.matches(spec)).findFirst();
      if (target.isPresent()) {
        return new Decision.RollBack(target.get());
      }
      if (known.size() == 1) {
        throw new IllegalStateException(
            name
                + " has no previous revision to roll back to (only revision "
                + known.get(0).revision()
                + " ran)");
      }
      return new Decision.Skip(known.get(0).revision());
    }
    if (toRevision < 1) {
      throw new IllegalArgumentException("--to-revision: revisions are numbered from 1");
    }
    Optional<Former> inStatus = known.stream().filter(f -> f.revision() == toRevision).findFirst();
    Former target;
    if (inStatus.isPresent()) {
      target = inStatus.get();
    } else {
      List<DeploymentRevision> history;
      try {
        history = recorded.revisions();
      } catch (IllegalStateException e) {
        // Records off: say which revisions the status offers before why the others cannot be read.
        throw new IllegalStateException(
            name
                + " has no revision "
                + toRevision
                + " in its status (known there: "
                + knownRevisions(known, List.of())
                + "); "
                + e.getMessage(),
            e);
      }
      target =
          history.stream()
              .filter(r -> r.revision() == toRevision)
              .findFirst()
              .map(Former::of)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          name
                              + " has no revision "
                              + toRevision
                              + "; known revisions: "
                              + knownRevisions(known, history)
                              + " (sbctl rollout history "
                              + ResourceRef.display(key)
                              + ")"));
    }
    return target.matches(spec)
        ? new Decision.Skip(target.revision())
        : new Decision.RollBack(target);
  }

  private static String knownRevisions(List<Former> status, List<DeploymentRevision> history) {
    TreeSet<Integer> numbers = new TreeSet<>();
    status.forEach(f -> numbers.add(f.revision()));
    history.forEach(r -> numbers.add(r.revision()));
    return numbers.isEmpty()
        ? "none"
        : String.join(", ", numbers.stream().map(String::valueOf).toList());
  }

  /** {@code spec} with {@code former}'s image, port, env and primaryEnv; nothing else changed. */
  static ObjectNode specWith(JsonNode spec, Former former) {
    ObjectNode s =
        spec instanceof ObjectNode o ? o.deepCopy() : JsonNodeFactory.instance.objectNode();
    s.put("image", former.image());
    if (former.port() != null) {
      s.put("port", former.port());
    }
    setOrRemove(s, "env", former.env());
    setOrRemove(s, "primaryEnv", former.primaryEnv());
    return s;
  }

  private static void setOrRemove(ObjectNode spec, String field, Map<String, String> values) {
    if (values.isEmpty()) {
      spec.remove(field);
    } else {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      values.forEach(o::put);
      spec.set(field, o);
    }
  }

  /** The Deployment's document with {@code spec}: its name and labels, no status. */
  static String document(ResourceRow row, JsonNode spec) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("apiVersion", ApiObjects.API_VERSION);
    d.put("kind", row.kind());
    ObjectNode metadata = d.putObject("metadata");
    metadata.put("name", row.name());
    if (row.labels().isObject() && !row.labels().isEmpty()) {
      metadata.set("labels", row.labels());
    }
    d.set("spec", spec);
    try {
      return YAML.writeValueAsString(d);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always writes as YAML", e);
    }
  }

  @Override
  public Integer call() throws Exception {
    ResourceKey key = RolloutCommand.deployment(spec, resource, "rollout undo");
    Sbctl root = parent.root;
    root.setUpLogging(false);
    FleetView view = root.fleets().view(root.config());
    String name = "deployment \"" + key.name() + "\"";
    ResourceRow row =
        DescribeCommand.find(view, key)
            .orElseThrow(
                () -> new IllegalStateException(name + " is not declared in " + view.where()));
    if (row.rejected()) {
      throw new IllegalStateException(
          name
              + " is rejected ("
              + row.errorReason()
              + "): "
              + row.error()
              + "; fix its declaration first");
    }
    var out = spec.commandLine().getOut();
    switch (decide(key, row.spec(), row.status(), toRevision, () -> recorded(root, key))) {
      case Decision.Skip skip ->
          out.println(
              name
                  + " skipped rollback (current template already matches revision "
                  + skip.revision()
                  + ")");
      case Decision.RollBack back -> {
        String document = document(row, specWith(row.spec(), back.former()));
        if (!root.fleets().writer(root.config()).replace(key, document, row.generation())) {
          throw new IllegalStateException(name + " is no longer declared in " + view.where());
        }
        out.println(
            name
                + " rolled back to revision "
                + back.former().revision()
                + " (image "
                + back.former().image()
                + ")");
      }
    }
    out.flush();
    return Sbctl.OK;
  }

  /** The revisions in the records; a clear refusal when this process keeps none. */
  private static List<DeploymentRevision> recorded(Sbctl root, ResourceKey key) throws IOException {
    RolloutHistoryCommand.requireRecords(
        root, key, "rollout undo to a revision older than the previous one");
    try (RecordsReader records = RecordsAccess.reader(root.config())) {
      return records.rollouts(key.name(), RecordItems.MAX_LIMIT);
    }
  }
}
