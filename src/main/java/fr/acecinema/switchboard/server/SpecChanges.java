package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What a write changed in a spec, field by field, as short lines for the audit trail: {@code
 * spec.drain: true (was unset)}. Top-level fields only: an event says which knob moved (drain,
 * maintenance, weight), not a full diff, which {@code git diff} of the manifests gives.
 */
final class SpecChanges {
  /** Longest value quoted in a line; longer ones are cut with an ellipsis. */
  static final int MAX_VALUE = 80;

  private SpecChanges() {}

  /**
   * The changed top-level fields of {@code after} relative to {@code before}, sorted by name;
   * {@code [created]} when there was no {@code before}.
   */
  static List<String> between(JsonNode before, JsonNode after) {
    if (before == null) {
      return List.of("created");
    }
    TreeSet<String> fields = new TreeSet<>();
    before.fieldNames().forEachRemaining(fields::add);
    after.fieldNames().forEachRemaining(fields::add);
    List<String> lines = new ArrayList<>();
    for (String f : fields) {
      JsonNode was = before.get(f);
      JsonNode now = after.get(f);
      if (was == null ? now != null : !was.equals(now)) {
        lines.add("spec." + f + ": " + show(now) + " (was " + show(was) + ")");
      }
    }
    // A change outside spec (labels, annotations): still a write worth recording.
    return lines.isEmpty() ? List.of("metadata") : lines;
  }

  private static String show(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "unset";
    }
    String text = value.isTextual() ? value.asText() : value.toString();
    return text.length() <= MAX_VALUE ? text : text.substring(0, MAX_VALUE - 1) + "…";
  }
}
