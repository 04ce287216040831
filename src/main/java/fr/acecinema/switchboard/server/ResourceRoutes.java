package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
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
    Optional<TokenStore.Token> token =
        auth.authorize(request, response, callback, BearerAuthenticator.needed(method));
    if (token.isEmpty()) {
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
    ResourceApi.Reply reply;
    switch (method) {
      case "GET", "HEAD" -> {
        if ("true".equals(query.getValue("watch"))) {
          watches.serve(request, response, callback, token.get(), kind, name, query);
          return;
        }
        reply = name == null ? resources.list(kind) : resources.get(kind, name);
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
