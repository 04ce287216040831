package fr.acecinema.switchboard.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One lifetime of a resource in the inventory: from first seen until deleted (null while live).
 *
 * @param id row id; a resource re-created after deletion gets a new row
 * @param kind Site, Service or Backend
 * @param name resource name
 * @param source where it was declared (for example "file:/etc/switchboard/x.yaml" or "table")
 * @param spec last recorded spec
 * @param status last recorded status, or null
 * @param generation last recorded generation
 * @param firstSeen when this lifetime started
 * @param updatedAt last time spec, status, source or generation changed
 * @param deletedAt when the resource was removed, or null while it exists
 */
public record InventoryRecord(
    long id,
    String kind,
    String name,
    String source,
    JsonNode spec,
    JsonNode status,
    long generation,
    Instant firstSeen,
    Instant updatedAt,
    Instant deletedAt) {}
