package fr.acecinema.switchboard.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Optional;

/**
 * Who manages a resource other than its author: the label {@value #LABEL}. A site's agent writes
 * {@code agent/SITE} on every Backend it registers; the API and {@code sbctl apply} refuse to edit
 * such a resource by hand (the container's labels are its source of truth), and an agent may touch
 * only the resources carrying its own value.
 */
public final class ManagedBy {
  /** The label key. */
  public static final String LABEL = "switchboard.acecinema.fr/managed-by";

  private static final String AGENT = "agent/";

  private ManagedBy() {}

  /** The label value of the agent of {@code site}. */
  public static String agent(String site) {
    return AGENT + site;
  }

  /** The label's value on {@code resource}, if any. */
  public static Optional<String> of(HasMetadata resource) {
    if (resource == null || resource.getMetadata() == null) {
      return Optional.empty();
    }
    Map<String, String> labels = resource.getMetadata().getLabels();
    return labels == null ? Optional.empty() : Optional.ofNullable(labels.get(LABEL));
  }

  /** The site whose agent manages {@code resource}, if an agent does. */
  public static Optional<String> agentSite(HasMetadata resource) {
    return of(resource).filter(v -> v.startsWith(AGENT)).map(v -> v.substring(AGENT.length()));
  }
}
