package fr.acecinema.switchboard.docker;

import java.util.Map;
import java.util.TreeMap;

/**
 * A container as the agent creates it. Every container runs with {@code --network host} (in the
 * site's network namespace: it listens on the site's own addresses, which the hub reaches) and no
 * restart policy: the agent restarts it, with backoff, so the engine never revives a container the
 * agent meant to stop.
 *
 * @param name the container's name, e.g. {@code api-r2-7}
 * @param image an image already on the engine (nothing is pulled)
 * @param env its environment
 * @param labels its labels
 */
public record ContainerSpec(
    String name, String image, Map<String, String> env, Map<String, String> labels) {
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
