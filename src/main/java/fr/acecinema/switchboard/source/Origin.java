package fr.acecinema.switchboard.source;

/**
 * Where a declaration lives: a document of a manifest file, or a row of the resources table.
 *
 * @param source the source's name, e.g. {@code file} or {@code table}
 * @param location the file's path (relative to the watched directory) or the row's id
 * @param document 0-based index of the YAML document within the file; 0 for rows
 * @param line 1-based line where the document starts; 0 when not applicable
 */
public record Origin(String source, String location, int document, int line) {
  /** For messages: {@code api.yaml:12 (document 2)} or {@code table row Backend/x}. */
  public String describe() {
    if (line <= 0) {
      return source + " " + location;
    }
    return location + ":" + line + (document > 0 ? " (document " + (document + 1) + ")" : "");
  }

  @Override
  public String toString() {
    return describe();
  }
}
