package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code sbctl apply --to table}: manifests written as rows of the resources table. Every document
 * goes through the operator's own admission first; nothing is written unless all are valid, and the
 * rows are written in one pass per document (the database bumps generation and notifies).
 */
final class TableApply {
  /** A valid document ready to be written. */
  record Row(ResourceKey key, JsonNode spec, JsonNode labels) {}

  /** What checking found: rows to write, or problems (file, field, fix). */
  record Checked(List<Row> rows, List<String> problems) {}

  private final DocumentAdmission admission;
  private final ManifestParser parser = new ManifestParser();

  /** Checks Site subnets against {@code subnets}, as {@code sbctl run} does. */
  TableApply(SubnetPolicy subnets) {
    this.admission = new DocumentAdmission(Optional.of(new SchemaValidator(subnets)));
  }

  /**
   * @param inFiles where the watched directory declares each name: such a name is refused (a row of
   *     the same name would be a Conflict), the message naming both places
   */
  Checked check(List<ManifestFiles.ManifestFile> files, Map<ResourceKey, Origin> inFiles) {
    List<Row> rows = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (ManifestFiles.ManifestFile f : files) {
      ParsedFile parsed = parser.parse(f.text());
      if (parsed.error().isPresent()) {
        problems.add(
            DocumentAdmission.syntaxError("file", f.name(), parsed.error().get()).message());
        continue;
      }
      for (ParsedDocument d : parsed.documents()) {
        Origin origin = new Origin("file", f.name(), d.index(), d.line());
        switch (admission.admit(origin, d)) {
          case DocumentAdmission.Result.Accepted a -> {
            ResourceKey key = a.declaration().key();
            Origin file = inFiles.get(key);
            if (file != null) {
              problems.add(
                  origin.describe()
                      + ": "
                      + key
                      + " is already declared in the manifests directory ("
                      + file.describe()
                      + "); a row of the same name would be a Conflict. Change that file, or"
                      + " delete it (sbctl delete "
                      + ResourceRef.display(key)
                      + ") and apply --to table again");
            } else {
              rows.add(
                  new Row(
                      key,
                      d.document().path("spec"),
                      d.document().path("metadata").path("labels")));
            }
          }
          case DocumentAdmission.Result.Rejected r -> problems.add(r.rejection().message());
        }
      }
    }
    return new Checked(rows, problems);
  }

  /** Writes the rows; returns one {@code kind/name created|configured|unchanged} line per row. */
  List<String> write(Database db, List<Row> rows) {
    ResourceTable table = new ResourceTable(db);
    List<String> out = new ArrayList<>();
    for (Row r : rows) {
      Optional<ResourceTable.Row> before = table.get(r.key().kind(), r.key().name());
      ResourceTable.Row after =
          table.upsert(
              r.key().kind(),
              r.key().name(),
              r.spec(),
              r.labels().isMissingNode() ? null : r.labels());
      String change =
          before.isEmpty()
              ? "created"
              : before.get().generation() != after.generation() ? "configured" : "unchanged";
      out.add(ResourceRef.display(r.key()) + " " + change + " (table)");
    }
    return out;
  }
}
