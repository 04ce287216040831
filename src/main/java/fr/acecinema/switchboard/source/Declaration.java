package fr.acecinema.switchboard.source;

import fr.acecinema.switchboard.api.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * A document that parsed and passed schema validation: a typed resource whose {@code
 * metadata.generation} was derived from its spec and metadata (never from status).
 */
public record Declaration(ResourceKey key, Origin origin, HasMetadata resource) {}
