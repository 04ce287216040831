package fr.acecinema.switchboard.postgres;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One revision of a Deployment's template, as {@code deployment_revisions} keeps it: what the
 * revision runs and how its rollout ended.
 *
 * @param deployment the Deployment's name
 * @param revision its number, from 1, never reused within the deployment
 * @param hash the template hash (image, port, env, primaryEnv)
 * @param image the image
 * @param port the container's port, null when unknown
 * @param env environment of every replica, empty when none
 * @param primaryEnv environment of the primary replica only, empty when none
 * @param state where its rollout stands
 * @param createdAt when its rollout started
 * @param stateChangedAt when {@code state} last changed
 */
public record DeploymentRevision(
    String deployment,
    int revision,
    String hash,
    String image,
    Integer port,
    Map<String, String> env,
    Map<String, String> primaryEnv,
    State state,
    Instant createdAt,
    Instant stateChangedAt) {

  public DeploymentRevision {
    // Sorted copies: the same template always prints (and compares) the same way.
    env = env == null ? Map.of() : new TreeMap<>(env);
    primaryEnv = primaryEnv == null ? Map.of() : new TreeMap<>(primaryEnv);
  }

  /** The same revision in another state since {@code at}. */
  public DeploymentRevision withState(State newState, Instant at) {
    return new DeploymentRevision(
        deployment, revision, hash, image, port, env, primaryEnv, newState, createdAt, at);
  }

  /** Where a revision's rollout stands; stored by its {@link #stored()} name. */
  public enum State {
    /** Being rolled out (or never finished: a first rollout past its deadline stays here). */
    ROLLING_OUT("RollingOut"),
    /** Every desired replica of it became ready. */
    COMPLETE("Complete"),
    /** Its rollout overran the progress deadline and the deployment went back. */
    ROLLED_BACK("RolledBack"),
    /**
     * The spec went back to the previous revision before this one completed ({@code sbctl rollout
     * undo}); the previous revision's replicas served on.
     */
    UNDONE("Undone");

    private final String stored;

    State(String stored) {
      this.stored = stored;
    }

    /** The value stored in {@code deployment_revisions.state}, and printed. */
    public String stored() {
      return stored;
    }

    public static State fromStored(String value) {
      for (State s : values()) {
        if (s.stored.equals(value)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown revision state " + value);
    }
  }
}
