package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.agent.AgentReport;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resource API under {@code /apis}: refuses unsafe paths, authenticates, serves discovery, and
 * maps {@code /apis/switchboard.acecinema.fr/v1alpha1/{plural}[/{name}]} and the method onto {@link
 * ResourceApi} (list/get/apply/delete) or a {@link WatchStream}. The checks run in a fixed order
 * (path shape before the token, the token before anything that reveals what exists), which is part
 * of the API's observable behaviour.
 */
final class ResourceRoutes {
  // ApiServer's logger: its name is printed on every line (%logger in logback.xml), so the log
  // output stays what it was before this class was split out of ApiServer.
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  /**
   * Request bodies one token may have being received at once; more get 429. A body is read on the
   * request's thread, so without it one write token trickling 120 bodies held every thread of the
   * pool until the slow-loris deadline cut them; a fast client never has more than a few.
   */
  static final int BODIES_PER_TOKEN = 8;

  private final PerKeyLimit<String> bodiesPerToken = new PerKeyLimit<>(BODIES_PER_TOKEN);
  private final ResourceApi resources;
  private final BearerAuthenticator auth;
  private final RequestBodies bodies;
  private final WatchStream watches;
  private final EventRecorder audit;
  private final Optional<AgentRegistry> agents;
  private final AgentPolicy policy;

  /**
   * @param serving whether the server still runs, so watch streams end when it stops
   */
  ResourceRoutes(
      ApiServer.Api api, BearerAuthenticator auth, long maxBodyBytes, BooleanSupplier serving) {
    this.resources = api.resources();
    this.auth = auth;
    this.bodies = new RequestBodies(maxBodyBytes);
    this.watches = new WatchStream(api.watches(), serving);
    this.audit = api.audit();
    this.agents = api.agents();
    this.policy =
        new AgentPolicy(
            key -> {
              try {
                ResourceApi.Reply r = resources.get(key.kind(), key.name());
                return r.code() == 200 ? Optional.of(r.body()) : Optional.empty();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  /** Answers a request whose path is {@code /apis} or below. */
  void handle(Request request, Response response, Callback callback, String method, String path)
      throws Exception {
    String lower = path.toLowerCase(Locale.ROOT);
    // Names are DNS labels, so a legitimate path never holds dot segments or escapes: refuse
    // them outright rather than trust any decoding or normalization along the way.
    if (lower.contains("%")
        || path.contains("\\")
        || path.contains("/./")
        || path.contains("/../")
        || path.endsWith("/..")
        || path.endsWith("/.")) {
      JsonReplies.failure(
          response,
          callback,
          400,
          "BadRequest",
          "path: dot segments and percent-encoded characters are not allowed; names are"
              + " lower-case letters, digits and '-'");
      return;
    }
    Optional<TokenStore.Token> token = auth.authenticate(request, response, callback);
    if (token.isEmpty()) {
      return;
    }
    // An agent token is outside the scope ladder: AgentPolicy decides, below, once the path is
    // known.
    String agentSite = token.get().scope() == Scope.agent ? token.get().site() : null;
    if (agentSite == null
        && !auth.permits(
            token.get(), BearerAuthenticator.needed(method), request, response, callback)) {
      return;
    }
    String rest = path.equals("/apis") ? "" : path.substring("/apis/".length());
    if (rest.isEmpty()
        || rest.equals(ApiObjects.GROUP)
        || rest.equals(ApiObjects.API_VERSION)
        || rest.equals(ApiObjects.API_VERSION + "/")) {
      JsonReplies.send(response, callback, 200, discovery());
      return;
    }
    if (!rest.startsWith(ApiObjects.API_VERSION + "/")) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "unknown API group or version; use " + ApiObjects.PREFIX);
      return;
    }
    String[] parts = rest.substring(ApiObjects.API_VERSION.length() + 1).split("/", -1);
    if (parts.length == 3 && parts[0].equals("sites") && parts[2].equals("agent")) {
      heartbeat(request, response, callback, method, token.get(), agentSite, parts[1]);
      return;
    }
    String kind = ApiObjects.KINDS.get(parts[0]);
    if (kind == null || parts.length > 2) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "unknown resource '" + parts[0] + "'; use sites, services or backends");
      return;
    }
    String name = parts.length == 2 ? parts[1] : null;
    if (name != null && !ResourceApi.validName(name)) {
      JsonReplies.failure(
          response,
          callback,
          400,
          "BadRequest",
          "name '"
              + name
              + "' is not valid; use lower-case letters, digits and '-', at most 63"
              + " characters");
      return;
    }
    Fields query = Request.extractQueryParameters(request);
    boolean watch = "true".equals(query.getValue("watch"));
    if (agentSite != null
        && refused(response, callback, policy.agentRequest(agentSite, method, kind, name, watch))) {
      return;
    }
    ResourceApi.Reply reply;
    switch (method) {
      case "GET", "HEAD" -> {
        if (watch) {
          watches.serve(request, response, callback, token.get(), kind, name, query);
          return;
        }
        reply = name == null ? resources.list(kind) : resources.get(kind, name);
        if (agentSite != null && kind.equals("Backend")) {
          reply = visibleTo(agentSite, reply, name);
        }
      }
      case "PUT", "POST" -> {
        // PUT names the resource it replaces, POST creates in the collection (as in Kubernetes).
        if ((method.equals("PUT")) != (name != null)) {
          JsonReplies.failure(
              response,
              callback,
              405,
              "MethodNotAllowed",
              "PUT a named resource (…/" + parts[0] + "/NAME) or POST to the collection");
          return;
        }
        String holder = token.get().name();
        if (!bodiesPerToken.tryAcquire(holder)) {
          // The refused body is still on the wire: closing is cheaper than draining it.
          response.getHeaders().put(HttpHeader.CONNECTION, "close");
          response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
          JsonReplies.tokenLimit(
              response,
              callback,
              holder,
              BODIES_PER_TOKEN,
              "request bodies being received",
              "send the next one when one is done");
          return;
        }
        Optional<byte[]> body;
        try {
          body = bodies.read(request, response, callback);
        } finally {
          bodiesPerToken.release(holder);
        }
        if (body.isEmpty()) {
          return;
        }
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        boolean json = type != null && type.toLowerCase(Locale.ROOT).contains("json");
        JsonNode parsed = RequestBodies.tree(body.get());
        String named =
            name != null ? name : parsed == null ? "" : parsed.at("/metadata/name").asText("");
        Optional<AgentPolicy.Refusal> refusal =
            agentSite != null
                ? policy.agentWrite(agentSite, named, parsed)
                : policy.byHand(new ResourceKey(kind, named), parsed);
        if (refused(response, callback, refusal)) {
          return;
        }
        boolean dryRun = query.getValue("dryRun") != null;
        reply = resources.apply(kind, name, body.get(), json, dryRun);
        audit(kind, reply.body().at("/metadata/name").asText(), token.get(), reply);
        if (!dryRun && reply.code() < 300) {
          // Who changed what: the audit trail names the token, never its secret.
          LOG.atInfo()
              .addKeyValue("token", token.get().name())
              .addKeyValue("change", reply.headers().get(ResourceApi.CHANGE_HEADER))
              .log(
                  "{}/{} applied through the API",
                  kind,
                  reply.body().at("/metadata/name").asText());
        }
      }
      case "DELETE" -> {
        if (name == null) {
          JsonReplies.failure(
              response,
              callback,
              405,
              "MethodNotAllowed",
              "DELETE one resource: …/" + parts[0] + "/NAME");
          return;
        }
        if (refused(
            response,
            callback,
            agentSite != null
                ? policy.agentDelete(agentSite, name)
                : policy.byHand(new ResourceKey(kind, name), null))) {
          return;
        }
        reply = resources.delete(kind, name, query.getValue("resourceVersion"));
        audit(kind, name, token.get(), reply);
        if (reply.code() == 200) {
          LOG.atInfo()
              .addKeyValue("token", token.get().name())
              .log("{}/{} deleted through the API", kind, name);
        }
      }
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, PUT, POST, DELETE");
        JsonReplies.failure(
            response, callback, 405, "MethodNotAllowed", method + " is not supported");
        return;
      }
    }
    reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
    JsonReplies.send(response, callback, reply.code(), reply.body());
  }

  /** Answers {@code refusal} if there is one. */
  private static boolean refused(
      Response response, Callback callback, Optional<AgentPolicy.Refusal> refusal) {
    refusal.ifPresent(
        r -> JsonReplies.failure(response, callback, r.code(), r.reason(), r.message()));
    return refusal.isPresent();
  }

  /** An agent sees only the Backends it manages: others are left out of lists, 404 alone. */
  private static ResourceApi.Reply visibleTo(String site, ResourceApi.Reply reply, String name) {
    if (reply.code() != 200) {
      return reply;
    }
    if (name != null) {
      return AgentPolicy.visibleTo(site, reply.body())
          ? reply
          : ResourceApi.Reply.of(
              404,
              ApiObjects.failure(404, "NotFound", "Backend/" + name + " not found", List.of()));
    }
    ObjectNode list = reply.body().deepCopy();
    ArrayNode items = list.putArray("items");
    reply
        .body()
        .path("items")
        .forEach(
            i -> {
              if (AgentPolicy.visibleTo(site, i)) {
                items.add(i);
              }
            });
    return ResourceApi.Reply.of(200, list);
  }

  /**
   * {@code PUT …/sites/SITE/agent}: the heartbeat of SITE's agent, only with an agent token of that
   * site; 204 when accepted, 409 for a replay (not sent after the last accepted one).
   */
  private void heartbeat(
      Request request,
      Response response,
      Callback callback,
      String method,
      TokenStore.Token token,
      String agentSite,
      String site)
      throws Exception {
    if (agentSite == null || !agentSite.equals(site)) {
      JsonReplies.failure(
          response,
          callback,
          403,
          "Forbidden",
          "only the agent token of site " + site + " may report its heartbeat");
      return;
    }
    if (!method.equals("PUT")) {
      response.getHeaders().put(HttpHeader.ALLOW, "PUT");
      JsonReplies.failure(
          response, callback, 405, "MethodNotAllowed", "PUT the agent's report as JSON");
      return;
    }
    if (agents.isEmpty()) {
      JsonReplies.failure(
          response, callback, 503, "ServiceUnavailable", "this server does not track agents");
      return;
    }
    Optional<byte[]> body = bodies.read(request, response, callback);
    if (body.isEmpty()) {
      return;
    }
    AgentReport report;
    try {
      report = REPORTS.readValue(body.get(), AgentReport.class);
    } catch (IOException | RuntimeException e) {
      JsonReplies.failure(
          response,
          callback,
          400,
          "BadRequest",
          "not an agent report: " + RequestBodies.firstLine(e.getMessage()));
      return;
    }
    List<String> problems = AgentRegistry.problems(report);
    if (!problems.isEmpty()) {
      JsonReplies.failure(
          response, callback, 422, "Invalid", "agent report: " + String.join("; ", problems));
      return;
    }
    if (agents.get().report(site, report) == AgentRegistry.Outcome.REPLAYED) {
      JsonReplies.failure(
          response,
          callback,
          409,
          "Conflict",
          "sentAt "
              + report.sentAt()
              + " is not after the last accepted report of site "
              + site
              + " (a replay, or a second agent for the same site)");
      return;
    }
    response.setStatus(204);
    callback.succeeded();
  }

  private static final ObjectMapper REPORTS =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * Records a write as an event of the resource, naming the token (never its secret) and what
   * changed, so the dashboard's and {@code sbctl events}' history says who drained a backend.
   */
  private void audit(String kind, String name, TokenStore.Token token, ResourceApi.Reply reply) {
    if (reply.written().isEmpty()) {
      return;
    }
    audit.event(
        new ResourceKey(kind, name),
        EventType.NORMAL,
        "ChangedThroughApi",
        "token '" + token.name() + "': " + String.join(", ", reply.written()));
  }

  /**
   * The {@code APIResourceList}: the kinds and verbs this version serves, shaped as in Kubernetes.
   */
  private static ObjectNode discovery() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", "APIResourceList");
    o.put("groupVersion", ApiObjects.API_VERSION);
    var list = o.putArray("resources");
    // Sorted so the body is stable from one call to the next.
    for (Map.Entry<String, String> e : new TreeMap<>(ApiObjects.KINDS).entrySet()) {
      list.addObject()
          .put("name", e.getKey())
          .put("kind", e.getValue())
          .set(
              "verbs",
              JsonNodeFactory.instance
                  .arrayNode()
                  .addAll(
                      List.of("get", "list", "watch", "create", "update", "delete").stream()
                          .map(TextNode::new)
                          .toList()));
    }
    return o;
  }
}
