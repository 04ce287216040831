package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import java.util.Map;

/**
 * A Backend as the agent reads and writes it on the hub: the rest of the resource (status,
 * annotations, resource version) is the hub's business.
 *
 * @param name {@code metadata.name}
 * @param labels {@code metadata.labels}, among them {@link fr.acecinema.switchboard.api.ManagedBy}
 * @param spec {@code spec}
 */
public record HubBackend(String name, Map<String, String> labels, BackendSpec spec) {
  public HubBackend {
    labels = Map.copyOf(labels);
  }
}
