package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.server.ResourceTarget;
import fr.acecinema.switchboard.server.TableTarget;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.table.RowDocument;
import fr.acecinema.switchboard.validation.SchemaValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet on the hub as the operator sees it: the watched directory and the rows of the
 * PostgreSQL {@code resources} table (when records are on and the database can be reached), one
 * fleet for {@code get}, {@code describe}, {@code wait}, {@code render} and {@code delete}. A name
 * declared both as a file and as a row is listed as the {@code Conflict} it is; {@code apply -f}
 * refuses a name a row already declares (and {@code apply --to table} one a file declares, see
 * {@link TableApply}), naming both places.
 */
final class LocalFleet implements FleetView, FleetWriter {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFleet.class);

  private final SwitchboardConfig config;
  private final ManifestFleet files;
  private final DocumentAdmission admission;
  private Optional<Database> database;

  LocalFleet(SwitchboardConfig config) {
    this.config = config;
    this.files = new ManifestFleet(config.manifests(), config.subnetPolicy());
    this.admission = new DocumentAdmission(Optional.of(new SchemaValidator(config.subnetPolicy())));
  }

  /**
   * The resources table, opened once; empty with records off or no database to reach (then the
   * files alone are the fleet, and a warning says why rows are missing).
   */
  private synchronized Optional<ResourceTable> table() {
    if (database == null) {
      database = Optional.empty();
      if (config.records()) {
        try {
          database = Optional.of(RecordsAccess.open(config));
        } catch (IOException | RuntimeException e) {
          LOG.warn("rows of the resources table are not shown: {}", e.getMessage());
        }
      }
    }
    return database.map(ResourceTable::new);
  }

  @Override
  public String where() {
    return table().isPresent()
        ? config.manifests() + " and the resources table"
        : config.manifests().toString();
  }

  @Override
  public List<ResourceRow> list() throws IOException {
    Optional<ResourceTable> table = table();
    if (table.isEmpty()) {
      return files.list();
    }
    return new TableTarget(table::get, config.manifests(), config.subnetPolicy()).list();
  }

  @Override
  public List<HasMetadata> resources() throws IOException {
    Optional<ResourceTable> table = table();
    List<HasMetadata> fromFiles = files.resources();
    if (table.isEmpty()) {
      return fromFiles;
    }
    Map<ResourceKey, List<HasMetadata>> byKey = new HashMap<>();
    for (HasMetadata r : fromFiles) {
      byKey.computeIfAbsent(ResourceKey.of(r), k -> new ArrayList<>()).add(r);
    }
    for (ResourceTable.Row row : table.get().list()) {
      if (admission.admit(RowDocument.origin(row.kind(), row.name()), RowDocument.of(row))
          instanceof DocumentAdmission.Result.Accepted a) {
        byKey
            .computeIfAbsent(a.declaration().key(), k -> new ArrayList<>())
            .add(a.declaration().resource());
      }
    }
    // A name declared twice is not planned from: which one the running operator keeps serving
    // depends on which came first, and render works without asking it.
    return byKey.values().stream().filter(l -> l.size() == 1).map(l -> l.get(0)).toList();
  }

  @Override
  public Check check(String fileName, String text) {
    Check check = byAgents(fileName, text, files.check(fileName, text));
    Optional<ResourceTable> table = table();
    if (table.isEmpty()) {
      return check;
    }
    List<String> problems = new ArrayList<>(check.problems());
    for (ResourceKey key : check.declares()) {
      if (table.get().get(key.kind(), key.name()).isPresent()) {
        problems.add(
            fileName
                + ": "
                + key
                + " is already declared as a row of the resources table (table "
                + key.kind()
                + "/"
                + key.name()
                + "); a file of the same name would be a Conflict. Change it with sbctl apply --to"
                + " table, or delete the row (sbctl delete "
                + ResourceRef.display(key)
                + ") and apply again");
      }
    }
    return new Check(check.declares(), problems);
  }

  @Override
  public List<Applied> apply(String fileName, String text) throws IOException {
    return files.apply(fileName, text);
  }

  /**
   * What an agent manages is edited through its container's labels, never by hand: a document
   * replacing such a resource, or claiming an agent's {@code managed-by} label, is refused (as the
   * API does).
   */
  private Check byAgents(String fileName, String text, Check check) {
    List<String> problems = new ArrayList<>(check.problems());
    Map<ResourceKey, String> managed = managedByAgents();
    for (ResourceKey key : check.declares()) {
      String by = managed.get(key);
      if (by != null) {
        problems.add(fileName + ": " + managedMessage(key, by));
      }
    }
    if (claimsAgentLabel(text)) {
      problems.add(
          fileName
              + ": metadata.labels."
              + ManagedBy.LABEL
              + " is written by sites' agents only; remove the label");
    }
    return problems.size() == check.problems().size()
        ? check
        : new Check(check.declares(), problems);
  }

  /** Whether a document of {@code text} carries the label (a comment naming it does not). */
  private static boolean claimsAgentLabel(String text) {
    if (!text.contains(ManagedBy.LABEL)) {
      return false;
    }
    try (var parser = YAML.getFactory().createParser(text)) {
      var docs = YAML.readValues(parser, JsonNode.class);
      while (docs.hasNext()) {
        if (docs.next().path("metadata").path("labels").has(ManagedBy.LABEL)) {
          return true;
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false; // unparsable: the file check already reports it
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper YAML =
      new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();

  private Map<ResourceKey, String> managedByAgents() {
    Map<ResourceKey, String> out = new HashMap<>();
    try {
      for (ResourceRow r : list()) {
        JsonNode by = r.labels().path(ManagedBy.LABEL);
        if (r.key().isPresent() && by.isTextual()) {
          out.put(r.key().get(), by.asText());
        }
      }
    } catch (IOException e) {
      // The check that follows (writing the file) reports an unreadable directory itself.
      LOG.debug("cannot list the fleet for managed resources: {}", e.toString());
    }
    return out;
  }

  private static String managedMessage(ResourceKey key, String by) {
    return key
        + " is managed by "
        + by
        + ": change the container's switchboard.* labels on that site (or stop it) instead; the"
        + " agent would undo a change made here";
  }

  /** Deletes the row declaring {@code key} if there is one, else its file's document. */
  @Override
  public boolean delete(ResourceKey key) throws IOException {
    String by = managedByAgents().get(key);
    if (by != null) {
      throw new IllegalStateException(managedMessage(key, by));
    }
    Optional<ResourceTable> table = table();
    if (table.isPresent() && table.get().delete(key.kind(), key.name())) {
      return true;
    }
    return files.delete(key);
  }

  /**
   * Replaces the row declaring {@code key} if there is one (through the API's own {@link
   * TableTarget}: same admission, a file of the same name refused), else its file's document.
   */
  @Override
  public boolean replace(ResourceKey key, String yaml, long generation) throws IOException {
    String by = managedByAgents().get(key);
    if (by != null) {
      throw new IllegalStateException(managedMessage(key, by));
    }
    Optional<ResourceTable> table = table();
    Optional<ResourceTable.Row> row = table.flatMap(t -> t.get(key.kind(), key.name()));
    if (row.isEmpty()) {
      return files.replace(key, yaml, generation);
    }
    if (row.get().generation() != generation) {
      throw FleetWriter.changedSince(key, generation, row.get().generation());
    }
    TableTarget target = new TableTarget(table::get, config.manifests(), config.subnetPolicy());
    try {
      Check check = target.check(key, yaml);
      if (!check.valid()) {
        throw new IllegalArgumentException(
            key + " is invalid: " + String.join("; ", check.problems()));
      }
      target.write(key, yaml);
    } catch (ResourceTarget.ConflictException | ResourceTarget.UnavailableException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return true;
  }

  /**
   * Where the manifest files declare each key (accepted or in conflict), for {@link TableApply};
   * empty when the watched directory does not exist (a fleet kept in the table alone).
   */
  Map<ResourceKey, Origin> declaredByFiles() throws IOException {
    if (!Files.isDirectory(config.manifests())) {
      return Map.of();
    }
    Map<ResourceKey, Origin> out = new HashMap<>();
    for (ResourceRow r : files.list()) {
      if (r.key().isPresent() && (!r.rejected() || "Conflict".equals(r.errorReason()))) {
        out.putIfAbsent(r.key().get(), r.origin());
      }
    }
    return out;
  }
}
