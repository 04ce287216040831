package fr.acecinema.switchboard.source.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.source.Origin;
import java.util.Optional;

/**
 * A row of the resources table seen as the manifest document it stands for, so that rows go through
 * the very same admission (schema, names, typed reading) as files and get the same errors (the
 * table source and the API's table target both read rows through it).
 */
public final class RowDocument {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RowDocument() {}

  /** {@code Backend/api-1}: the location of a row in {@code Declarations}, stable across ids. */
  public static String location(String kind, String name) {
    return kind + "/" + name;
  }

  public static Origin origin(String kind, String name) {
    return new Origin(ResourceTableSource.SOURCE, location(kind, name), 0, 0);
  }

  /** The document: apiVersion, kind, metadata (name, labels), spec, and the row's last status. */
  public static ParsedDocument of(ResourceTable.Row row) {
    ObjectNode doc = MAPPER.createObjectNode();
    doc.put("apiVersion", Site.API_VERSION);
    doc.put("kind", row.kind());
    ObjectNode metadata = doc.putObject("metadata");
    metadata.put("name", row.name());
    JsonNode labels = row.labels();
    if (labels != null && !(labels.isObject() && labels.isEmpty())) {
      metadata.set("labels", labels);
    }
    doc.set("spec", row.spec() == null ? MAPPER.createObjectNode() : row.spec());
    if (row.status() != null && row.status().isObject()) {
      doc.set("status", row.status());
    }
    return new ParsedDocument(
        0,
        0,
        doc,
        row.kind(),
        Site.API_VERSION,
        row.name(),
        row.generation(),
        Optional.empty(),
        new ParsedDocument.Spans(0, 0, 0, false, -1, -1, -1, -1));
  }
}
