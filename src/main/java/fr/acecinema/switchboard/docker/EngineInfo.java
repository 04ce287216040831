package fr.acecinema.switchboard.docker;

/**
 * Facts about an engine, as a site reports them.
 *
 * @param version the engine's version, e.g. {@code 20.10.24+dfsg1}
 * @param apiVersion the highest Engine API version it speaks, e.g. {@code 1.41}
 * @param hostName the name of the host the engine runs on
 */
public record EngineInfo(String version, String apiVersion, String hostName) {}
