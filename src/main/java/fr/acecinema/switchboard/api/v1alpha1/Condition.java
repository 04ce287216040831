package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** A Kubernetes-style condition: one observed aspect of a resource, with why and since when. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "type",
  "status",
  "reason",
  "message",
  "lastTransitionTime",
  "observedGeneration"
})
public class Condition {
  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  /** What this condition is about, e.g. {@code Ready}, {@code Accepted}, {@code Healthy}. */
  @JsonPropertyDescription("What this condition is about, e.g. Ready, Accepted, Healthy.")
  public String type;

  /** {@code True}, {@code False} or {@code Unknown}. */
  @JsonPropertyDescription("True, False or Unknown.")
  public String status;

  /** A CamelCase word a program can switch on, e.g. {@code SiteNotFound}. */
  @JsonPropertyDescription("A CamelCase word a program can switch on, e.g. SiteNotFound.")
  public String reason;

  /** A sentence for a human: what is wrong and how to fix it. */
  @JsonPropertyDescription("A sentence for a human: what is wrong and how to fix it.")
  public String message;

  /** When {@link #status} last changed (RFC 3339, UTC). */
  @JsonPropertyDescription("When status last changed (RFC 3339, UTC).")
  public String lastTransitionTime;

  /** The metadata.generation this condition was computed from. */
  @JsonPropertyDescription("The metadata.generation this condition was computed from.")
  public Long observedGeneration;

  public Condition() {}

  public Condition(String type, String status, String reason, String message) {
    this.type = type;
    this.status = status;
    this.reason = reason;
    this.message = message;
  }

  /** Same type, status, reason and message (times and generation are bookkeeping). */
  public boolean sameStateAs(Condition other) {
    return other != null
        && Objects.equals(type, other.type)
        && Objects.equals(status, other.status)
        && Objects.equals(reason, other.reason)
        && Objects.equals(message, other.message);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isTrue() {
    return TRUE.equals(status);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Condition c
        && sameStateAs(c)
        && Objects.equals(lastTransitionTime, c.lastTransitionTime)
        && Objects.equals(observedGeneration, c.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, status, reason, message, lastTransitionTime, observedGeneration);
  }

  @Override
  public String toString() {
    return type + "=" + status + " (" + reason + "): " + message;
  }
}
