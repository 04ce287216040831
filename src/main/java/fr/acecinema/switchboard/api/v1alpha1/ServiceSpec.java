package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The desired state of a {@link Service}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceSpec {
  /** Public host names served, e.g. {@code api.acecinema.fr}. */
  @JsonPropertyDescription("Public host names served, e.g. api.acecinema.fr.")
  @Required
  @Size(min = 1, max = 100)
  public List<
          @Pattern(
              "^(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
          String>
      hosts;

  /** Only requests whose path starts with this prefix, e.g. {@code /api/}; absent means all. */
  @JsonPropertyDescription(
      "Only requests whose path starts with this prefix, e.g. /api/; absent means all paths.")
  @Pattern("^/[^*?#\\s]*$")
  public String pathPrefix;

  /** How backends are probed; a Backend may override any field. */
  @JsonPropertyDescription("How backends are probed; a Backend may override any field.")
  public HealthCheck healthCheck;

  /** How requests are spread over the ready backends of a tier. */
  @JsonPropertyDescription("How requests are spread over the ready backends of a tier.")
  public LoadBalancing loadBalancing;

  /** How traffic moves between sites and roles. */
  @JsonPropertyDescription("How traffic moves between sites and roles.")
  public Failover failover;

  /** Request spreading within the backends that take traffic. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LoadBalancing {
    /** Selection policy. */
    public enum Policy {
      @JsonProperty("random")
      RANDOM,
      @JsonProperty("round_robin")
      ROUND_ROBIN,
      @JsonProperty("least_conn")
      LEAST_CONN,
      @JsonProperty("first")
      FIRST,
      @JsonProperty("ip_hash")
      IP_HASH,
      @JsonProperty("uri_hash")
      URI_HASH
    }

    /** Selection policy among ready backends (weights apply to random and round_robin). */
    @JsonPropertyDescription(
        "Selection policy among ready backends: random, round_robin, least_conn, first, ip_hash,"
            + " uri_hash. Default random.")
    public Policy policy;

    /** How long a request may be retried on other backends, e.g. {@code 5s}. Default 5s. */
    @JsonPropertyDescription(
        "How long a request may be retried on other backends, e.g. 5s. Default 5s.")
    @Pattern(HealthCheck.DURATION_PATTERN)
    public String tryDuration;

    /**
     * Wait between two retries, e.g. {@code 250ms}. Default 50ms: a retry follows an error that
     * already took its time (a refused dial is instant, a connection ended because its site went
     * silent was waiting already), and Caddy asks for fresh upstreams on every retry.
     */
    @JsonPropertyDescription("Wait between two retries, e.g. 250ms. Default 50ms.")
    @Pattern(HealthCheck.DURATION_PATTERN)
    public String tryInterval;

    /** Maximum time to open a connection to a backend. Default 1s. */
    @JsonPropertyDescription("Maximum time to open a connection to a backend. Default 1s.")
    @Pattern(HealthCheck.DURATION_PATTERN)
    public String dialTimeout;

    /** Maximum wait for a backend's response headers before retrying elsewhere. Default 2s. */
    @JsonPropertyDescription(
        "Maximum wait for a backend's response headers before retrying elsewhere. Default 2s.")
    @Pattern(HealthCheck.DURATION_PATTERN)
    public String responseTimeout;
  }

  /** Failover between sites and roles. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Failover {
    /** Failover mode. */
    public enum Mode {
      @JsonProperty("priority")
      PRIORITY,
      @JsonProperty("spread")
      SPREAD
    }

    /**
     * {@code spread}: every ready primary backend takes traffic by weight (standbys only when no
     * primary is ready); {@code priority}: only the best tier (lowest site priority, primary before
     * standby) takes traffic.
     */
    @JsonPropertyDescription(
        "spread: all ready primaries take traffic by weight, standbys only when no primary is"
            + " ready; priority: only the best tier (lowest site priority, primary before standby)"
            + " takes traffic. Default spread.")
    public Mode mode;
  }
}
