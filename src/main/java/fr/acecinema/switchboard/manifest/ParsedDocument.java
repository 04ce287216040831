package fr.acecinema.switchboard.manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * One YAML document of a manifest file, with what admission and the status splicer need.
 *
 * @param index 0-based index of the document in the YAML stream (empty documents count)
 * @param line 1-based line where the document's content starts
 * @param document the document as JSON, status included; empty when {@code problem} is set
 * @param kind {@code kind}, null when absent or not a string
 * @param apiVersion {@code apiVersion}, null when absent or not a string
 * @param name {@code metadata.name}, null when absent or not a string
 * @param generation generation derived by {@link Generations#of}, 0 when {@code problem} is set
 * @param problem why the document cannot be a resource (e.g. it is a list, not a mapping)
 * @param spans character offsets of the document's parts in the file's text
 */
public record ParsedDocument(
    int index,
    int line,
    ObjectNode document,
    String kind,
    String apiVersion,
    String name,
    long generation,
    Optional<String> problem,
    Spans spans) {

  /**
   * Character offsets (into the file's text, as Java {@code char} indexes) of a document's parts.
   *
   * @param start first character of the document's content (its first key)
   * @param end just after the last character of the document's content (no trailing comments)
   * @param indent column of the document's top-level keys
   * @param flow whether the top-level mapping is written in flow style ({@code {a: 1}})
   * @param statusKeyStart first character of the top-level {@code status} key, -1 when absent
   * @param statusValueEnd just after the last character of the status value, -1 when absent
   * @param nextKeyStart first character of the top-level key after {@code status}, -1 when none
   * @param firstKeyStart first character of the first top-level key when the mapping's tag or
   *     anchor stands alone on the lines above it (then after {@code start}); -1 otherwise
   */
  public record Spans(
      int start,
      int end,
      int indent,
      boolean flow,
      int statusKeyStart,
      int statusValueEnd,
      int nextKeyStart,
      int firstKeyStart) {
    public boolean hasStatus() {
      return statusKeyStart >= 0;
    }
  }
}
