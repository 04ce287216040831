package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The desired state of a {@link Deployment}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DeploymentSpec {
  /** A Docker image reference: {@code name[:tag][@digest]}, lower-case repository. */
  public static final String IMAGE_PATTERN =
      "^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
          + "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";

  /** Default {@link #progressDeadline}. */
  public static final Duration DEFAULT_PROGRESS_DEADLINE = Duration.ofMinutes(2);

  /** Default {@link #rescheduleAfter}. */
  public static final Duration DEFAULT_RESCHEDULE_AFTER = Duration.ofMinutes(1);

  /** Default {@link #drainPeriod}. */
  public static final Duration DEFAULT_DRAIN_PERIOD = Duration.ofSeconds(5);

  /** Name of the Service the replicas serve (they register as its Backends). */
  @JsonPropertyDescription(
      "Name of the Service the replicas serve (they register as its Backends).")
  @Required
  @Pattern(BackendSpec.NAME_PATTERN)
  public String service;

  /** The image every replica runs, e.g. {@code local/api:1.4.2}; it must exist on the sites. */
  @JsonPropertyDescription(
      "The image every replica runs, e.g. local/api:1.4.2; it must exist on the sites' engines.")
  @Required
  @Size(max = 255)
  @Pattern(IMAGE_PATTERN)
  public String image;

  /** How many replicas run, spread over the sites by priority. Default 1. */
  @JsonPropertyDescription(
      "How many replicas run, spread over the sites by priority (ignored when perSite is set)."
          + " Default 1.")
  @Min(0)
  @Max(100)
  public Integer replicas;

  /**
   * Replicas per site instead of a spread, e.g. {@code {dijon: 2, thory: 1}}; a site missing from
   * the map runs none.
   */
  @JsonPropertyDescription(
      "Replicas per site instead of a spread, e.g. {dijon: 2, thory: 1}; a site missing from the"
          + " map runs none.")
  public Map<String, Integer> perSite;

  /** The only sites replicas may run on; absent means every Site. */
  @JsonPropertyDescription("The only sites replicas may run on; absent means every Site.")
  public List<@Pattern(BackendSpec.NAME_PATTERN) String> sites;

  /**
   * The TCP port the container listens on. Each replica gets a port of its own on its site's
   * address, published by the site's Docker engine (a bridge network the agent creates), so several
   * replicas of one image share a site, and the image needs no port setting.
   */
  @JsonPropertyDescription(
      "The TCP port the container listens on. The site's agent publishes it on a free port of the"
          + " site's address (its Backend's port), so replicas of one image can share a site.")
  @Required
  @Min(1)
  @Max(65535)
  public Integer port;

  /** Environment of every replica. */
  @JsonPropertyDescription("Environment of every replica.")
  public Map<String, String> env;

  /**
   * Environment added to exactly one replica at a time (a singleton duty such as crons); the
   * replica holding it is the deployment's primary.
   */
  @JsonPropertyDescription(
      "Environment added to exactly one replica at a time (a singleton duty such as crons). Never"
          + " two replicas at once: the duty moves only after its holder is gone.")
  public Map<String, String> primaryEnv;

  /** How a new image or environment replaces the running replicas. */
  @JsonPropertyDescription("How a new image or environment replaces the running replicas.")
  public Strategy strategy;

  /**
   * How long a rollout may take before it is rolled back, e.g. {@code 2m}. Default 2m.
   *
   * <p>Counted from the start of the rollout; a new replica that never passes its health check
   * within it makes the deployment go back to the previous image on its own.
   */
  @JsonPropertyDescription(
      "How long a rollout may take before it is rolled back to the previous image, e.g. 2m."
          + " Default 2m.")
  @Pattern(HealthCheck.DURATION_PATTERN)
  public String progressDeadline;

  /**
   * How long a site must be unreachable before its replicas are started on other sites, e.g. {@code
   * 1m}. Default 1m (Kubernetes waits 40 s + 5 min, Nomad its heartbeat grace of ~10-20 s).
   */
  @JsonPropertyDescription(
      "How long a site must be unreachable before its replicas are started on other sites, e.g."
          + " 1m. Default 1m. At least 10s.")
  @Pattern(HealthCheck.DURATION_PATTERN)
  public String rescheduleAfter;

  /**
   * How long a replica being retired stays drained (no new requests, in-flight ones finish) before
   * it is stopped, e.g. {@code 5s}. Default 5s.
   */
  @JsonPropertyDescription(
      "How long a replica being retired stays drained (no new requests, in-flight ones finish)"
          + " before it is stopped, e.g. 5s. Default 5s.")
  @Pattern(HealthCheck.DURATION_PATTERN)
  public String drainPeriod;

  /** How replicas are replaced. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Strategy {
    /** Replacement strategy. */
    public enum Type {
      /** Every new replica starts and passes its health check before the old ones drain. */
      @JsonProperty("BlueGreen")
      BLUE_GREEN,
      /** Replicas are replaced a few at a time (maxSurge, maxUnavailable). */
      @JsonProperty("Rolling")
      ROLLING
    }

    /** BlueGreen or Rolling. Default Rolling. */
    @JsonPropertyDescription("BlueGreen or Rolling. Default Rolling.")
    public Type type;

    /** Rolling: replicas started above the desired count during a rollout. Default 1. */
    @JsonPropertyDescription(
        "Rolling: replicas started above the desired count during a rollout. Default 1.")
    @Min(0)
    @Max(100)
    public Integer maxSurge;

    /** Rolling: replicas that may be missing (not ready) during a rollout. Default 0. */
    @JsonPropertyDescription(
        "Rolling: replicas that may be missing (not ready) during a rollout. Default 0.")
    @Min(0)
    @Max(100)
    public Integer maxUnavailable;
  }

  public int replicasOrDefault() {
    if (perSite != null) {
      return perSite.values().stream().mapToInt(n -> n == null ? 0 : n).sum();
    }
    return replicas == null ? 1 : replicas;
  }

  public Map<String, String> envOrEmpty() {
    return env == null ? Map.of() : new TreeMap<>(env);
  }

  public Map<String, String> primaryEnvOrEmpty() {
    return primaryEnv == null ? Map.of() : new TreeMap<>(primaryEnv);
  }

  public Strategy.Type strategyType() {
    return strategy == null || strategy.type == null ? Strategy.Type.ROLLING : strategy.type;
  }

  public int maxSurge() {
    return strategy == null || strategy.maxSurge == null ? 1 : strategy.maxSurge;
  }

  public int maxUnavailable() {
    return strategy == null || strategy.maxUnavailable == null ? 0 : strategy.maxUnavailable;
  }
}
