package fr.acecinema.switchboard.docker;

import java.util.Map;
import java.util.TreeMap;

/**
 * A container as the agent creates it: on the agent's bridge network ({@link #NETWORK}), its {@code
 * containerPort} published on {@code hostAddress:hostPort} (the site's address the hub reaches),
 * and no restart policy: the agent restarts it, with backoff, so the engine never revives a
 * container the agent meant to stop. A bridge rather than the host's network: several replicas of
 * one image, all listening on the same port, share a site (a rollout starts the new one beside the
 * old), and an image needs no port setting.
 *
 * @param name the container's name, e.g. {@code api-r2-7}
 * @param image an image already on the engine (nothing is pulled)
 * @param env its environment
 * @param labels its labels
 * @param hostAddress the site address the port is published on
 * @param hostPort the published port (the replica's Backend port)
 * @param containerPort the port the image listens on
 */
public record ContainerSpec(
    String name,
    String image,
    Map<String, String> env,
    Map<String, String> labels,
    String hostAddress,
    int hostPort,
    int containerPort) {
  /** The bridge network the agent's replicas run on; the agent creates it when missing. */
  public static final String NETWORK = "switchboard";

  public ContainerSpec {
    env = Map.copyOf(env);
    labels = Map.copyOf(labels);
  }

  /** The environment as the Engine API takes it, {@code KEY=value}, sorted by key. */
  public java.util.List<String> envList() {
    return new TreeMap<>(env)
        .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }
}
