package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * What one hub of a shared fleet sees of a Backend or Site: its {@code Ready} there. Each hub
 * routes its own Caddy from its own view; the status's conditions are the leader's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"hub", "ready", "reason", "since"})
public class HubView {
  /** The hub's name ({@code --hub-name}). */
  @JsonPropertyDescription("The hub's name (--hub-name).")
  public String hub;

  /** {@code True}, {@code False} or {@code Unknown} (the hub has not been heard for a while). */
  @JsonPropertyDescription(
      "True, False or Unknown (the hub has not been heard for a while): Ready as that hub sees it.")
  public String ready;

  /** The reason of that hub's {@code Ready}, e.g. {@code Serving}, {@code HostUnreachable}. */
  @JsonPropertyDescription("The reason of that hub's Ready, e.g. Serving or HostUnreachable.")
  public String reason;

  /** Since when (RFC 3339) that hub has seen it so. */
  @JsonPropertyDescription("Since when (RFC 3339) that hub has seen it so.")
  public String since;

  public HubView() {}

  public HubView(String hub, String ready, String reason, String since) {
    this.hub = hub;
    this.ready = ready;
    this.reason = reason;
    this.since = since;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HubView v
        && Objects.equals(hub, v.hub)
        && Objects.equals(ready, v.ready)
        && Objects.equals(reason, v.reason)
        && Objects.equals(since, v.since);
  }

  @Override
  public int hashCode() {
    return Objects.hash(hub, ready, reason, since);
  }

  @Override
  public String toString() {
    return hub + "=" + ready + "/" + reason;
  }
}
