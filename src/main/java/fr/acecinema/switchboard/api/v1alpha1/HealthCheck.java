package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * How a backend is probed. On a Service it applies to all its backends; on a Backend, any field set
 * overrides the service's (e.g. Strapi's {@code /_health}). Unset fields take the defaults below.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HealthCheck {
  /** Probe protocol. */
  public enum Type {
    @JsonProperty("http")
    HTTP,
    @JsonProperty("tcp")
    TCP
  }

  public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

  /** {@code http} (GET path, check status and body) or {@code tcp} (connect only). Default http. */
  @JsonPropertyDescription(
      "http (GET path, check status and body) or tcp (connect only). Default http.")
  public Type type;

  /** Path of the HTTP GET, e.g. {@code /health}. Default {@code /health}. */
  @JsonPropertyDescription("Path of the HTTP GET, e.g. /health. Default /health.")
  @Pattern("^/.*")
  public String path;

  /** Time between two probes, e.g. {@code 1s}, {@code 500ms}. Default 2s. */
  @JsonPropertyDescription("Time between two probes, e.g. 1s, 500ms. Default 2s.")
  @Pattern(DURATION_PATTERN)
  public String interval;

  /** How long one probe may take before it counts as failed; below interval. Default 1s. */
  @JsonPropertyDescription(
      "How long one probe may take before it counts as failed; below interval. Default 1s.")
  @Pattern(DURATION_PATTERN)
  public String timeout;

  /** Consecutive successes that make an unhealthy backend healthy. Default 2. */
  @JsonPropertyDescription(
      "Consecutive successes that make an unhealthy backend healthy. Default 2.")
  @Min(1)
  @Max(100)
  public Integer healthyThreshold;

  /** Consecutive failures that make a healthy backend unhealthy. Default 2. */
  @JsonPropertyDescription("Consecutive failures that make a healthy backend unhealthy. Default 2.")
  @Min(1)
  @Max(100)
  public Integer unhealthyThreshold;

  /**
   * Accepted HTTP status codes: a code or a range list, e.g. {@code 200-399} or {@code 200,204}.
   */
  @JsonPropertyDescription(
      "Accepted HTTP status codes: a code or a range list, e.g. 200-399 or 200,204. Default 200-399.")
  @Pattern("^[1-5][0-9][0-9](-[1-5][0-9][0-9])?(,[1-5][0-9][0-9](-[1-5][0-9][0-9])?)*$")
  public String expectStatus;

  /** If set, the response body must contain this text. */
  @JsonPropertyDescription("If set, the response body must contain this text.")
  public String expectBody;
}
