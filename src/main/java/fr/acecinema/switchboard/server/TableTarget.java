package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.table.ResourceTableSource;
import fr.acecinema.switchboard.source.table.RowDocument;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The API's writes as rows of the PostgreSQL {@code resources} table ({@code --api-target table}),
 * which the operator reads through {@link ResourceTableSource}: a row is admitted exactly as a file
 * is (same parser, schema and messages), and its status is written back into the row.
 *
 * <p>Reads show the whole fleet: the rows and the manifest files, so {@code GET} answers the same
 * whichever target writes. A name already declared by a file is refused (409) rather than written
 * as a row: the operator would not apply the row ({@code Conflict}). The database owns the
 * generation (it counts spec and labels changes), so {@code resourceVersion} guards rows as it
 * guards files.
 *
 * <p>The table comes from a supplier that throws {@link DatabaseUnavailableException} until the
 * operator's database is open and while it is down; every call then fails with {@link
 * ResourceTarget.UnavailableException} (503) and nothing is written.
 */
public final class TableTarget implements ResourceTarget {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Supplier<ResourceTable> table;
  private final Path manifests;
  private final ManifestFleet files;
  private final ManifestParser parser = new ManifestParser();
  private final DocumentAdmission admission;

  /**
   * @param table the resources table; throws {@link DatabaseUnavailableException} while the
   *     database cannot be used
   * @param manifests the watched directory, read (never written) so reads show files too
   * @param subnets which Site subnets are accepted
   */
  public TableTarget(Supplier<ResourceTable> table, Path manifests, SubnetPolicy subnets) {
    this.table = table;
    this.manifests = manifests;
    this.files = new ManifestFleet(manifests, subnets);
    this.admission = new DocumentAdmission(Optional.of(new SchemaValidator(subnets)));
  }

  @Override
  public List<ResourceRow> list() throws IOException {
    List<ResourceRow> fileRows = fileRows();
    Map<ResourceKey, Origin> inFiles = declaredByFiles(fileRows);
    Map<ResourceKey, Origin> inTable = new HashMap<>();
    List<ResourceRow> out = new ArrayList<>();
    for (ResourceTable.Row row : database(ResourceTable::list)) {
      ParsedDocument document = RowDocument.of(row);
      Origin origin = RowDocument.origin(row.kind(), row.name());
      switch (admission.admit(origin, document)) {
        case DocumentAdmission.Result.Accepted a -> {
          ResourceKey key = a.declaration().key();
          inTable.put(key, origin);
          Origin file = inFiles.get(key);
          out.add(
              file == null
                  ? ResourceRow.of(a.declaration(), row.createdAt())
                  : conflict(key, origin, row.generation(), file, document.document()));
        }
        case DocumentAdmission.Result.Rejected r ->
            out.add(ResourceRow.of(r.rejection(), document.document()));
      }
    }
    for (ResourceRow r : fileRows) {
      Optional<ResourceKey> key = r.key().filter(inTable::containsKey);
      out.add(
          key.isPresent() && !r.rejected()
              ? conflict(key.get(), r.origin(), r.generation(), inTable.get(key.get()), document(r))
              : r);
    }
    out.sort(
        Comparator.comparing((ResourceRow r) -> r.kind() == null ? "" : r.kind())
            .thenComparing(r -> r.name() == null ? "" : r.name()));
    return out;
  }

  @Override
  public FleetWriter.Check check(ResourceKey key, String yaml) throws IOException {
    Origin origin = RowDocument.origin(key.kind(), key.name());
    ParsedFile parsed = parser.parse(yaml);
    if (parsed.error().isPresent()) {
      return new FleetWriter.Check(
          List.of(),
          List.of(
              DocumentAdmission.syntaxError(
                      ResourceTableSource.SOURCE, origin.location(), parsed.error().get())
                  .message()));
    }
    List<String> problems = new ArrayList<>();
    for (ParsedDocument d : parsed.documents()) {
      switch (admission.admit(origin, d)) {
        case DocumentAdmission.Result.Accepted a -> {}
        case DocumentAdmission.Result.Rejected r -> problems.add(r.rejection().message());
      }
    }
    refuseWhenAFileDeclares(
        key,
        "; a row of the same name would put both in Conflict: edit that file, or delete"
            + " it and apply again through the API");
    return new FleetWriter.Check(List.of(key), problems);
  }

  @Override
  public long write(ResourceKey key, String yaml) {
    JsonNode document = parser.parse(yaml).documents().get(0).document();
    return database(t -> t.upsert(key.kind(), key.name(), spec(document), labels(document)))
        .generation();
  }

  @Override
  public long generationAfter(ResourceKey key, ParsedDocument document) {
    Optional<ResourceTable.Row> row = database(t -> t.get(key.kind(), key.name()));
    if (row.isEmpty()) {
      return 1; // the column's default for a new row
    }
    JsonNode labels = row.get().labels();
    boolean same =
        asStored(spec(document.document())).equals(row.get().spec())
            && asStored(labels(document.document()))
                .equals(labels == null ? JsonNodeFactory.instance.objectNode() : labels);
    // The database's trigger: +1 exactly when spec or labels change.
    return same ? row.get().generation() : row.get().generation() + 1;
  }

  /** Whether a live row declares {@code key}. */
  public boolean declares(ResourceKey key) {
    return database(t -> t.get(key.kind(), key.name())).isPresent();
  }

  @Override
  public boolean delete(ResourceKey key) throws IOException {
    if (database(t -> t.delete(key.kind(), key.name()))) {
      return true;
    }
    refuseWhenAFileDeclares(
        key,
        ", not in the resources table the API writes to (--api-target table); delete"
            + " that file instead");
    return false;
  }

  /**
   * A 409 when a manifest file declares {@code key}: the table must not take over, or delete in
   * place of, a resource its file owns. {@code advice} follows the file's place in the message.
   */
  private void refuseWhenAFileDeclares(ResourceKey key, String advice) throws IOException {
    Origin file = declaredByFiles(fileRows()).get(key);
    if (file != null) {
      throw new ConflictException(key + " is declared in " + file.describe() + advice);
    }
  }

  private List<ResourceRow> fileRows() throws IOException {
    // With the table as the API's store, the watched directory may legitimately not exist.
    return Files.isDirectory(manifests) ? files.list() : List.of();
  }

  /**
   * Keys the operator sees declared by files: accepted documents, and those that are in Conflict
   * with one another (still declarations; the conflict is what rejected them).
   */
  private static Map<ResourceKey, Origin> declaredByFiles(List<ResourceRow> rows) {
    Map<ResourceKey, Origin> out = new HashMap<>();
    Set<ResourceKey> seen = new HashSet<>();
    for (ResourceRow r : rows) {
      if (r.key().isPresent()
          && (!r.rejected() || ConditionTypes.CONFLICT.equals(r.errorReason()))
          && seen.add(r.key().get())) {
        out.put(r.key().get(), r.origin());
      }
    }
    return out;
  }

  /** The row the operator's {@code Declarations} makes of a name declared twice. */
  private static ResourceRow conflict(
      ResourceKey key, Origin origin, long generation, Origin other, JsonNode document) {
    return ResourceRow.of(
        new Rejection(
            key,
            origin,
            generation,
            ConditionTypes.CONFLICT,
            key
                + " is also declared in "
                + other.describe()
                + "; only the one declared first is applied (it keeps serving) until only one"
                + " declaration is left (delete or rename one)",
            true),
        document);
  }

  private static JsonNode document(ResourceRow r) {
    var d = JsonNodeFactory.instance.objectNode();
    d.set("spec", r.spec());
    if (!r.status().isMissingNode()) {
      d.set("status", r.status());
    }
    return d;
  }

  /**
   * The node as it reads back from jsonb: the manifest parser makes every integer a long, the
   * table's reader makes small ones ints, and Jackson's equality tells the two apart.
   */
  private static JsonNode asStored(JsonNode node) {
    try {
      return JSON.readTree(node.toString());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JsonNode always prints as JSON", e);
    }
  }

  private static JsonNode spec(JsonNode document) {
    JsonNode spec = document.path("spec");
    return spec.isObject() ? spec : JsonNodeFactory.instance.objectNode();
  }

  private static JsonNode labels(JsonNode document) {
    JsonNode labels = document.path("metadata").path("labels");
    return labels.isObject() ? labels : JsonNodeFactory.instance.objectNode();
  }

  private <T> T database(Function<ResourceTable, T> call) {
    try {
      return call.apply(table.get());
    } catch (DatabaseUnavailableException e) {
      throw new UnavailableException(
          "the resources table cannot be reached ("
              + e.getMessage()
              + "); nothing was read or written, retry shortly",
          e);
    }
  }
}
