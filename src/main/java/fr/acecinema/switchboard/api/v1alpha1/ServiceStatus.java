package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;

/** The observed state of a {@link Service}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGeneration", "conditions", "readyEndpoints", "totalEndpoints"})
public class ServiceStatus extends ResourceStatus {
  /** Backends taking traffic now, all sites together. */
  @JsonPropertyDescription("Backends taking traffic now, all sites together.")
  public Integer readyEndpoints;

  /** Backends declared for this service. */
  @JsonPropertyDescription("Backends declared for this service.")
  public Integer totalEndpoints;

  /** Ready and total backends per site, sorted by site name. */
  @JsonPropertyDescription("Ready and total backends per site, sorted by site name.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public List<SiteEndpoints> endpoints = new ArrayList<>();

  /** The Caddy configuration revision (hash) this service was last routed with. */
  @JsonPropertyDescription(
      "The Caddy configuration revision (hash) this service was last routed with.")
  public String routedRevision;

  /** Ready/total backends of one site. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SiteEndpoints {
    /** Site name. */
    @JsonPropertyDescription("Site name.")
    public String site;

    /** Backends of this site that take traffic. */
    @JsonPropertyDescription("Backends of this site that take traffic.")
    public int ready;

    /** Backends of this site declared for the service. */
    @JsonPropertyDescription("Backends of this site declared for the service.")
    public int total;

    public SiteEndpoints() {}

    public SiteEndpoints(String site, int ready, int total) {
      this.site = site;
      this.ready = ready;
      this.total = total;
    }
  }
}
