package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.HealthTransition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

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
}
