package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The observed state of a {@link Deployment}, and the hub's decision: {@link #replicas} is what
 * each site's agent must run.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "observedGeneration",
  "conditions",
  "currentImage",
  "previousImage",
  "readyReplicas",
  "updatedReplicas"
})
public class DeploymentStatus extends ResourceStatus {
  /** The image of the newest revision (the one being rolled out, or serving). */
  @JsonPropertyDescription("The image of the newest revision (being rolled out, or serving).")
  public String currentImage;

  /** The image the newest revision replaced. */
  @JsonPropertyDescription("The image the newest revision replaced.")
  public String previousImage;

  /** Replicas that take traffic now, every revision. */
  @JsonPropertyDescription("Replicas that take traffic now, every revision.")
  public Integer readyReplicas;

  /** Replicas of the newest revision that take traffic now. */
  @JsonPropertyDescription("Replicas of the newest revision that take traffic now.")
  public Integer updatedReplicas;

  /** The newest revision: what the spec asks now, unless it was rolled back. */
  @JsonPropertyDescription("The newest revision: what the spec asks, unless it was rolled back.")
  public Template current;

  /** The revision before {@link #current}, the one a rollback returns to. */
  @JsonPropertyDescription("The revision before current, the one a rollback returns to.")
  public Template previous;

  /**
   * The template hash of a rollout that was rolled back: not tried again until the spec changes.
   */
  @JsonPropertyDescription(
      "The template hash of a rollout that was rolled back: not tried again until the spec"
          + " changes.")
  public String failedTemplate;

  /** When the rollout of {@link #current} started (RFC 3339). */
  @JsonPropertyDescription("When the rollout of current started (RFC 3339).")
  public String rolloutStarted;

  /** The number the next replica's name takes; names are never reused. */
  @JsonPropertyDescription("The number the next replica's name takes; names are never reused.")
  public Integer nextReplica;

  /**
   * Sites whose replicas were started elsewhere because they stayed unreachable, with since when
   * (RFC 3339): they get replicas again once ready for a whole rescheduleAfter.
   */
  @JsonPropertyDescription(
      "Sites whose replicas were started elsewhere because they stayed unreachable, with since"
          + " when; they get replicas again once ready for a whole rescheduleAfter.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public Map<String, String> lostSites = new TreeMap<>();

  /**
   * Replicas that held primaryEnv and were unassigned but may still run (their Backend exists and
   * their agent reported within their lease): no new primary starts until they are gone.
   */
  @JsonPropertyDescription(
      "Replicas that held primaryEnv and were unassigned but may still run: no new primary starts"
          + " until they are gone.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public List<Replica> retiredPrimaries = new ArrayList<>();

  /** Desired, assigned and ready replicas per site, sorted by site. */
  @JsonPropertyDescription("Desired, assigned and ready replicas per site, sorted by site.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public List<SiteReplicas> sites = new ArrayList<>();

  /** Every replica the sites must run now, sorted by name: the agents read this. */
  @JsonPropertyDescription(
      "Every replica the sites must run now, sorted by name: the agents read it.")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public List<Replica> replicas = new ArrayList<>();

  /** What a revision runs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Template {
    /** Revision number, from 1. */
    @JsonPropertyDescription("Revision number, from 1.")
    public Integer revision;

    /** A hash of image, port, env and primaryEnv: a change of any starts a new revision. */
    @JsonPropertyDescription(
        "A hash of image, port, env and primaryEnv: a change of any starts a new revision.")
    public String hash;

    /** The image. */
    @JsonPropertyDescription("The image.")
    public String image;

    /** The container's port. */
    @JsonPropertyDescription("The container's port.")
    public Integer port;

    /** Environment of every replica. */
    @JsonPropertyDescription("Environment of every replica.")
    public Map<String, String> env;

    /** Environment of the primary replica only. */
    @JsonPropertyDescription("Environment of the primary replica only.")
    public Map<String, String> primaryEnv;

    @Override
    public boolean equals(Object o) {
      return o instanceof Template t
          && Objects.equals(revision, t.revision)
          && Objects.equals(hash, t.hash)
          && Objects.equals(image, t.image)
          && Objects.equals(port, t.port)
          && Objects.equals(env, t.env)
          && Objects.equals(primaryEnv, t.primaryEnv);
    }

    @Override
    public int hashCode() {
      return Objects.hash(revision, hash);
    }
  }

  /** One container a site must run. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Replica {
    /** The container's name, e.g. {@code api-r2-7}; its Backend is {@code SITE-NAME}. */
    @JsonPropertyDescription("The container's name, e.g. api-r2-7; its Backend is SITE-NAME.")
    public String name;

    /** The site that runs it. */
    @JsonPropertyDescription("The site that runs it.")
    public String site;

    /** The Service it registers for (the deployment's). */
    @JsonPropertyDescription("The Service it registers for (the deployment's).")
    public String service;

    /** The revision it runs. */
    @JsonPropertyDescription("The revision it runs.")
    public Integer revision;

    /** The image it runs. */
    @JsonPropertyDescription("The image it runs.")
    public String image;

    /** The port it listens on. */
    @JsonPropertyDescription("The port it listens on.")
    public Integer port;

    /** Its whole environment (primaryEnv included when it is the primary). */
    @JsonPropertyDescription("Its whole environment (primaryEnv included when it is the primary).")
    public Map<String, String> env;

    /** True for the one replica that holds primaryEnv. */
    @JsonPropertyDescription("True for the one replica that holds primaryEnv.")
    public Boolean primary;

    /**
     * For the primary only: how long its agent keeps it running without reaching the hub, e.g.
     * {@code 30s}. The hub hands the duty to another replica only after a longer silence, so the
     * duty is never held twice, even by a site cut off from the hub.
     */
    @JsonPropertyDescription(
        "For the primary only: how long its agent keeps it running without reaching the hub;"
            + " the hub moves the duty only after a longer silence.")
    public String lease;

    public boolean isPrimary() {
      return Boolean.TRUE.equals(primary);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Replica r
          && Objects.equals(name, r.name)
          && Objects.equals(site, r.site)
          && Objects.equals(service, r.service)
          && Objects.equals(lease, r.lease)
          && Objects.equals(revision, r.revision)
          && Objects.equals(image, r.image)
          && Objects.equals(port, r.port)
          && Objects.equals(env, r.env)
          && Objects.equals(primary, r.primary);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, site, revision);
    }
  }

  /** Replica counts of one site. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SiteReplicas {
    /** Site name. */
    @JsonPropertyDescription("Site name.")
    public String site;

    /** Replicas of the newest revision this site should run. */
    @JsonPropertyDescription("Replicas of the newest revision this site should run.")
    public int desired;

    /** Replicas assigned to it now, every revision. */
    @JsonPropertyDescription("Replicas assigned to it now, every revision.")
    public int assigned;

    /** Its replicas that take traffic now. */
    @JsonPropertyDescription("Its replicas that take traffic now.")
    public int ready;

    public SiteReplicas() {}

    public SiteReplicas(String site, int desired, int assigned, int ready) {
      this.site = site;
      this.desired = desired;
      this.assigned = assigned;
      this.ready = ready;
    }
  }
}
