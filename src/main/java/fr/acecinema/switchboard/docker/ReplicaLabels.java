package fr.acecinema.switchboard.docker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The labels that say a container is a Deployment's replica, written by the agent that creates it
 * and read back to know which containers are the agent's to start, stop and remove. Reverse-DNS
 * ({@value #PREFIX}), so they never meet the {@code switchboard.*} registration labels, which
 * {@link ContainerLabels} reads and where an unknown name is rejected. A replica also carries
 * {@link ContainerLabels#SERVICE} and {@link ContainerLabels#PORT}: it registers as a Backend the
 * same way as a container started by hand.
 */
public final class ReplicaLabels {
  public static final String PREFIX = "fr.acecinema.switchboard.";

  /** The Deployment's name. */
  public static final String DEPLOYMENT = PREFIX + "deployment";

  /** The replica's name, which is also the container's. */
  public static final String REPLICA = PREFIX + "replica";

  /** The revision it runs. */
  public static final String REVISION = PREFIX + "revision";

  /** {@code true} on the deployment's primary (the replica holding primaryEnv). */
  public static final String PRIMARY = PREFIX + "primary";

  /**
   * On a primary: its lease ({@code 30s}), how long it may run without its agent reaching the hub.
   * On the container itself, so the agent fences it on its own lease even once the hub no longer
   * lists it (retired while the site is cut off), as the hub counts on.
   */
  public static final String LEASE = PREFIX + "lease";

  /**
   * Whose replica a container is.
   *
   * @param deployment the Deployment's name
   * @param replica the replica's name
   * @param primary whether it holds the deployment's singleton duty
   */
  public record Owner(String deployment, String replica, boolean primary) {}

  private ReplicaLabels() {}

  /** Every label of a replica's container (no lease). */
  public static Map<String, String> of(
      String deployment, String replica, int revision, boolean primary, String service, int port) {
    return of(deployment, replica, revision, primary, service, port, null);
  }

  /**
   * Every label of a replica's container.
   *
   * @param lease a primary's lease as the hub wrote it ({@code 30s}); null for none
   */
  public static Map<String, String> of(
      String deployment,
      String replica,
      int revision,
      boolean primary,
      String service,
      int port,
      String lease) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(DEPLOYMENT, deployment);
    labels.put(REPLICA, replica);
    labels.put(REVISION, Integer.toString(revision));
    labels.put(PRIMARY, Boolean.toString(primary));
    labels.put(ContainerLabels.SERVICE, service);
    labels.put(ContainerLabels.PORT, Integer.toString(port));
    if (lease != null) {
      labels.put(LEASE, lease);
    }
    return labels;
  }

  /**
   * The owner a container's labels name; empty for a container without both the deployment and the
   * replica label (not a replica: never the agent's to touch).
   */
  public static Optional<Owner> read(Map<String, String> labels) {
    String deployment = labels.get(DEPLOYMENT);
    String replica = labels.get(REPLICA);
    if (deployment == null || deployment.isBlank() || replica == null || replica.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new Owner(deployment, replica, "true".equals(labels.get(PRIMARY))));
  }
}
