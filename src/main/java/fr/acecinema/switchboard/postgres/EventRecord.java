package fr.acecinema.switchboard.postgres;

import java.time.Instant;

/**
 * A deduplicated event: identical object, type, reason and message share one row.
 *
 * @param kind kind of the object the event is about
 * @param name name of that object
 * @param type Normal or Warning
 * @param reason CamelCase reason
 * @param message human-readable message
 * @param count how many times it was recorded
 * @param firstSeen first occurrence
 * @param lastSeen latest occurrence
 */
public record EventRecord(
    String kind,
    String name,
    EventType type,
    String reason,
    String message,
    int count,
    Instant firstSeen,
    Instant lastSeen) {}
