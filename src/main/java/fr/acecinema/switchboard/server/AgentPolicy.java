package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.validation.Subnets;
import java.util.Optional;
import java.util.function.Function;

/**
 * Who may change a resource an agent manages, and what an agent token may do. Pure decisions on
 * JSON objects as the API serves them; {@link ResourceRoutes} asks before it acts.
 *
 * <p>An {@code agent} token of site S may: read Site S; list and read the Backends S's agent
 * manages; create, replace and delete such Backends, only with {@code spec.site: S}, the label
 * {@code managed-by: agent/S} and an address inside S's subnet; list and read Deployments (all of
 * them: their status names the replicas of every site, and an agent runs those of S); report
 * heartbeats of S. Anything else is refused with 403, and a Backend it may not see is answered 404
 * (an agent learns nothing of other sites). Every other token may not edit or delete a resource an
 * agent manages (409: the container's labels are its source of truth), nor write the label itself
 * (403).
 */
final class AgentPolicy {
  /** A refusal: the status code, the Kubernetes-style reason and a message that says the fix. */
  record Refusal(int code, String reason, String message) {}

  private final Function<ResourceKey, Optional<JsonNode>> lookup;

  /**
   * @param lookup the resource as the API serves it, empty when it is not declared
   */
  AgentPolicy(Function<ResourceKey, Optional<JsonNode>> lookup) {
    this.lookup = lookup;
  }

  /**
   * What an agent token of {@code site} may do before any body is read: {@code GET} of its Site,
   * list and get of Deployments, and list, get, put and delete of Backends (further checked by
   * {@link #agentWrite}, {@link #agentDelete} and {@link #visibleTo}); no watches.
   */
  Optional<Refusal> agentRequest(
      String site, String method, String kind, String name, boolean watch) {
    boolean read = method.equals("GET") || method.equals("HEAD");
    if (watch) {
      return forbidden(site, "watch resources");
    }
    if (kind.equals("Site") && read && site.equals(name)) {
      return Optional.empty();
    }
    if (kind.equals("Deployment") && read) {
      return Optional.empty();
    }
    if (kind.equals("Backend")
        && (read || (method.equals("PUT") && name != null) || method.equals("DELETE"))) {
      return Optional.empty();
    }
    return forbidden(site, method + " " + kind + (name == null ? "s" : "/" + name));
  }

  /** Whether a Backend as served may be shown to the agent of {@code site}. */
  static boolean visibleTo(String site, JsonNode backend) {
    return ManagedBy.agent(site).equals(managedBy(backend))
        && site.equals(backend.at("/spec/site").asText(null));
  }

  /** An agent of {@code site} creating or replacing Backend {@code name} with {@code body}. */
  Optional<Refusal> agentWrite(String site, String name, JsonNode body) {
    if (body == null || !"Backend".equals(body.path("kind").asText())) {
      return Optional.of(
          new Refusal(400, "BadRequest", "the body must be one Backend object (JSON or YAML)"));
    }
    String mine = ManagedBy.agent(site);
    if (!mine.equals(managedBy(body))) {
      return Optional.of(
          new Refusal(
              422,
              "Invalid",
              "metadata.labels."
                  + ManagedBy.LABEL
                  + " must be '"
                  + mine
                  + "' on every Backend the agent of "
                  + site
                  + " registers"));
    }
    if (!site.equals(body.at("/spec/site").asText(null))) {
      return forbidden(site, "register a Backend of another site (spec.site must be " + site + ")");
    }
    Optional<JsonNode> existing = lookup.apply(new ResourceKey("Backend", name));
    if (existing.isPresent() && !mine.equals(managedBy(existing.get()))) {
      return Optional.of(
          new Refusal(
              403,
              "Forbidden",
              "Backend/"
                  + name
                  + " exists and is not managed by "
                  + mine
                  + "; rename the container (the agent names Backends SITE-CONTAINER)"));
    }
    Optional<JsonNode> siteObject = lookup.apply(new ResourceKey("Site", site));
    if (siteObject.isEmpty()) {
      return Optional.of(
          new Refusal(
              403,
              "Forbidden",
              "Site/"
                  + site
                  + " is not declared on the hub; declare it before its agent registers"));
    }
    String subnet = siteObject.get().at("/spec/subnet").asText("");
    String address = body.at("/spec/address").asText("");
    if (!Subnets.isIpLiteral(address) || !Subnets.contains(subnet, address)) {
      return forbidden(
          site,
          "register spec.address '"
              + address
              + "', which is outside the site's subnet "
              + subnet
              + "; set the agent's --advertise-address to its address inside "
              + subnet);
    }
    return Optional.empty();
  }

  /** An agent of {@code site} deleting Backend {@code name}: only one it manages. */
  Optional<Refusal> agentDelete(String site, String name) {
    Optional<JsonNode> existing = lookup.apply(new ResourceKey("Backend", name));
    if (existing.isPresent() && !visibleTo(site, existing.get())) {
      return Optional.of(new Refusal(404, "NotFound", "Backend/" + name + " not found"));
    }
    return Optional.empty();
  }

  /**
   * Any other token writing {@code body} to {@code key} ({@code body} null for a delete): refused
   * when an agent manages the resource or when the body claims an agent's label.
   */
  Optional<Refusal> byHand(ResourceKey key, JsonNode body) {
    Optional<String> managed = lookup.apply(key).map(AgentPolicy::managedBy);
    if (managed.isPresent() && managed.get() != null) {
      return Optional.of(
          new Refusal(
              409,
              "Conflict",
              key
                  + " is managed by "
                  + managed.get()
                  + ": change the container's switchboard.* labels on that site (or stop it)"
                  + " instead; the agent would undo a change made here"));
    }
    String claimed = body == null ? null : managedBy(body);
    if (claimed != null) {
      return Optional.of(
          new Refusal(
              403,
              "Forbidden",
              "metadata.labels."
                  + ManagedBy.LABEL
                  + ": '"
                  + claimed
                  + "' is written by agents only; remove the label"));
    }
    return Optional.empty();
  }

  private static String managedBy(JsonNode object) {
    JsonNode v = object.path("metadata").path("labels").path(ManagedBy.LABEL);
    return v.isTextual() ? v.asText() : null;
  }

  private static Optional<Refusal> forbidden(String site, String what) {
    return Optional.of(
        new Refusal(
            403,
            "Forbidden",
            "an agent token of site "
                + site
                + " may not "
                + what
                + "; it may only read its Site and the Deployments, register its containers as"
                + " Backends and report heartbeats"));
  }
}
