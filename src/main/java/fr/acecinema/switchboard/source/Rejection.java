package fr.acecinema.switchboard.source;

import fr.acecinema.switchboard.api.ResourceKey;

/**
 * A document that could not be accepted (schema or syntax error).
 *
 * @param key kind/name when they could be read, else null
 * @param generation the document's derived generation, 0 when unknown
 * @param reason condition reason, e.g. {@code InvalidSpec}
 * @param message names the file, the field and the fix
 * @param writable whether a status can be written into the document (false for syntax errors)
 */
public record Rejection(
    ResourceKey key,
    Origin origin,
    long generation,
    String reason,
    String message,
    boolean writable) {}
