package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** The desired state of a {@link Backend}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackendSpec {
  /** Whether the backend serves normally or waits as a hot spare. */
  public enum Role {
    @JsonProperty("primary")
    PRIMARY,
    @JsonProperty("standby")
    STANDBY
  }

  public static final String NAME_PATTERN = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

  /** Name of the Service this backend serves. */
  @JsonPropertyDescription("Name of the Service this backend serves.")
  @Required
  @Pattern(NAME_PATTERN)
  public String service;

  /** Name of the Site this backend runs on. */
  @JsonPropertyDescription("Name of the Site this backend runs on.")
  @Required
  @Pattern(NAME_PATTERN)
  public String site;

  /** IP address reachable from the hub, inside the site's subnet, e.g. {@code 10.200.0.23}. */
  @JsonPropertyDescription(
      "IP address reachable from the hub, inside the site's subnet, e.g. 10.200.0.23.")
  @Required
  @Pattern("^[0-9a-fA-F.:]+$")
  public String address;

  /** TCP port of the backend. */
  @JsonPropertyDescription("TCP port of the backend.")
  @Required
  @Min(1)
  @Max(65535)
  public Integer port;

  /** Relative share of traffic among the backends of its tier, 1-100. Default 1. */
  @JsonPropertyDescription(
      "Relative share of traffic among the backends of its tier, 1-100. Default 1.")
  @Min(1)
  @Max(100)
  public Integer weight;

  /** {@code primary} serves; {@code standby} serves only when no primary is ready. */
  @JsonPropertyDescription(
      "primary serves; standby serves only when no primary of the service is ready. Default primary.")
  public Role role;

  /** When true the backend takes no new requests; requests in flight finish. Default false. */
  @JsonPropertyDescription(
      "When true the backend takes no new requests; requests in flight finish. Default false.")
  public Boolean drain;

  /** Overrides fields of the service's health check for this backend. */
  @JsonPropertyDescription("Overrides fields of the service's health check for this backend.")
  public HealthCheck healthCheck;

  public int weightOrDefault() {
    return weight == null ? 1 : weight;
  }

  public Role roleOrDefault() {
    return role == null ? Role.PRIMARY : role;
  }

  public boolean draining() {
    return Boolean.TRUE.equals(drain);
  }
}
