package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.HealthTransition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/** Tables of records, laid out like kubectl's. Pure: rows and a clock in, text out. */
final class RecordsPrinter {
  private RecordsPrinter() {}

  /** Health transitions, oldest first (so the latest is on the last line, as in a log). */
  static String history(List<HealthTransition> newestFirst, Instant now) {
    if (newestFirst.isEmpty()) {
      return "No health transitions recorded.\n";
    }
    List<List<String>> lines = new ArrayList<>();
    lines.add(List.of("TIME", "AGE", "FROM", "TO", "REASON", "LATENCY", "MESSAGE"));
    for (HealthTransition t : newestFirst.reversed()) {
      lines.add(
          List.of(
              t.at().toString(),
              Ages.of(t.at(), now),
              t.fromState() == null ? "-" : t.fromState(),
              t.toState(),
              t.reason(),
              t.latencyMs() == null ? "-" : t.latencyMs() + "ms",
              t.message() == null ? "" : t.message()));
    }
    return Printer.columns(lines);
  }

  static String revisions(List<ConfigRevision> newestFirst, Instant now) {
    if (newestFirst.isEmpty()) {
      return "No configuration pushed to Caddy yet.\n";
    }
    List<List<String>> lines = new ArrayList<>();
    lines.add(List.of("REVISION", "PUSHED", "AGE", "HASH", "RESULT", "ERROR"));
    for (ConfigRevision r : newestFirst) {
      lines.add(
          List.of(
              Long.toString(r.id()),
              r.pushedAt().toString(),
              Ages.of(r.pushedAt(), now),
              r.hash().length() > 12 ? r.hash().substring(0, 12) : r.hash(),
              r.result().name(),
              r.error() == null ? "" : r.error()));
    }
    return Printer.columns(lines);
  }

  /** Events, oldest first like {@code kubectl get events}; with the object column or without. */
  static String events(List<EventRecord> newestFirst, Instant now, boolean withObject) {
    if (newestFirst.isEmpty()) {
      return "No events.\n";
    }
    List<List<String>> lines = new ArrayList<>();
    lines.add(
        withObject
            ? List.of("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE")
            : List.of("Type", "Reason", "Age", "From", "Message"));
    for (EventRecord e : newestFirst.reversed()) {
      String age =
          e.count() > 1
              ? Ages.of(e.lastSeen(), now)
                  + " (x"
                  + e.count()
                  + " over "
                  + Ages.of(e.firstSeen(), now)
                  + ")"
              : Ages.of(e.lastSeen(), now);
      lines.add(
          withObject
              ? List.of(
                  Ages.of(e.lastSeen(), now),
                  e.type().stored(),
                  e.reason(),
                  ResourceRef.display(
                      new fr.acecinema.switchboard.api.ResourceKey(e.kind(), e.name())),
                  Integer.toString(e.count()),
                  e.message())
              : List.of(e.type().stored(), e.reason(), age, "switchboard", e.message()));
    }
    return Printer.columns(lines);
  }

  /**
   * A Deployment's revisions, oldest first like {@code kubectl rollout history}, each with what
   * changed from the revision listed above it.
   */
  static String rollouts(String deployment, List<DeploymentRevision> newestFirst, Instant now) {
    if (newestFirst.isEmpty()) {
      return "No revisions recorded for deployment \""
          + deployment
          + "\" (is it declared? sbctl get deployments).\n";
    }
    List<List<String>> lines = new ArrayList<>();
    lines.add(List.of("REVISION", "IMAGE", "STATE", "CREATED", "CHANGE"));
    List<DeploymentRevision> oldestFirst = newestFirst.reversed();
    for (int i = 0; i < oldestFirst.size(); i++) {
      DeploymentRevision r = oldestFirst.get(i);
      lines.add(
          List.of(
              Integer.toString(r.revision()),
              r.image(),
              r.state().stored(),
              Ages.of(r.createdAt(), now),
              change(oldestFirst.subList(0, i), r)));
    }
    return Printer.columns(lines);
  }

  /** What {@code r} changed from the revision before it; "-" when that one is not listed. */
  static String change(List<DeploymentRevision> earlier, DeploymentRevision r) {
    for (DeploymentRevision e : earlier.reversed()) {
      if (e.hash().equals(r.hash())) {
        return "template of revision " + e.revision();
      }
    }
    if (earlier.isEmpty()) {
      return "-";
    }
    DeploymentRevision p = earlier.getLast();
    List<String> parts = new ArrayList<>();
    if (!p.image().equals(r.image())) {
      parts.add("image");
    }
    if (!Objects.equals(p.port(), r.port())) {
      parts.add("port " + p.port() + "->" + r.port());
    }
    envChange("env", p.env(), r.env()).ifPresent(parts::add);
    envChange("primaryEnv", p.primaryEnv(), r.primaryEnv()).ifPresent(parts::add);
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }

  /** e.g. {@code env +NEW ~CHANGED -GONE}, by variable name. */
  private static Optional<String> envChange(
      String field, Map<String, String> before, Map<String, String> after) {
    List<String> parts = new ArrayList<>();
    for (String name : new TreeSet<>(after.keySet())) {
      if (!before.containsKey(name)) {
        parts.add("+" + name);
      } else if (!before.get(name).equals(after.get(name))) {
        parts.add("~" + name);
      }
    }
    for (String name : new TreeSet<>(before.keySet())) {
      if (!after.containsKey(name)) {
        parts.add("-" + name);
      }
    }
    return parts.isEmpty() ? Optional.empty() : Optional.of(field + " " + String.join(" ", parts));
  }

  /** One revision's template in full, as {@code kubectl rollout history --revision N}. */
  static String rollout(DeploymentRevision r, Instant now) {
    StringBuilder b = new StringBuilder();
    b.append("deployment \"").append(r.deployment()).append("\" revision ").append(r.revision());
    b.append("\n");
    field(b, "State", r.state().stored() + " (" + Ages.of(r.stateChangedAt(), now) + " ago)");
    field(b, "Created", r.createdAt() + " (" + Ages.of(r.createdAt(), now) + " ago)");
    field(b, "Hash", r.hash());
    field(b, "Image", r.image());
    field(b, "Port", r.port() == null ? "<unknown>" : r.port().toString());
    field(b, "Env", variables(r.env()));
    field(b, "PrimaryEnv", variables(r.primaryEnv()));
    return b.toString();
  }

  private static void field(StringBuilder b, String name, String value) {
    String label = "  " + name + ":";
    String indent = " ".repeat(14);
    b.append(label).append(" ".repeat(indent.length() - label.length()));
    b.append(value.replace("\n", "\n" + indent)).append("\n");
  }

  private static String variables(Map<String, String> env) {
    if (env.isEmpty()) {
      return "<none>";
    }
    List<String> lines = new ArrayList<>();
    new TreeMap<>(env).forEach((k, v) -> lines.add(k + "=" + v));
    return String.join("\n", lines);
  }
}
