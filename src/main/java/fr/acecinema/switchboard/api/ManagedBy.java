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

  /**
   * On a Backend an agent registers for a Deployment replica: the Deployment's name. With {@link
   * #PRIMARY} it tells the hub of every replica that may still run, even one its Deployment's
   * status no longer lists (deleted and declared again, or a status lost while the hub was down).
   */
  public static final String DEPLOYMENT = "switchboard.acecinema.fr/deployment";

  /** On such a Backend: {@code "true"} when the replica's container holds the primary duty. */
  public static final String PRIMARY = "switchboard.acecinema.fr/primary";

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
