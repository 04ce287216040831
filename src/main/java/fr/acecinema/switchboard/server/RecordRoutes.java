package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.RecordItems;
import fr.acecinema.switchboard.fleet.Rfc3339;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The PostgreSQL records, read-only, under {@code /records/v1alpha1/}: {@code events}, {@code
 * history}, {@code revisions} and {@code rollouts} (a Deployment's revisions), the data of {@code
 * sbctl events/history/revisions/rollout history} as JSON ({@link RecordItems}). Read scope; 503
 * with {@code Retry-After} while the database cannot be reached, 404 when the process keeps no
 * records.
 */
final class RecordRoutes {
  private final Optional<Supplier<RecordsRepository>> records;
  private final BearerAuthenticator auth;

  RecordRoutes(Optional<Supplier<RecordsRepository>> records, BearerAuthenticator auth) {
    this.records = records;
    this.auth = auth;
  }

  /** Answers a request whose path starts with {@code /records}. */
  void handle(Request request, Response response, Callback callback, String method, String path) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      JsonReplies.failure(
          response, callback, 405, "MethodNotAllowed", "records are read-only: use GET");
      return;
    }
    if (auth.authorize(request, response, callback, Scope.read).isEmpty()) {
      return;
    }
    String what =
        path.startsWith(RecordItems.PREFIX) ? path.substring(RecordItems.PREFIX.length()) : "";
    if (!List.of("events", "history", "revisions", "rollouts").contains(what)) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "unknown records path; use "
              + RecordItems.PREFIX
              + "events, "
              + RecordItems.PREFIX
              + "history, "
              + RecordItems.PREFIX
              + "revisions or "
              + RecordItems.PREFIX
              + "rollouts");
      return;
    }
    if (records.isEmpty()) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "this process keeps no records; run sbctl run with --records on");
      return;
    }
    Fields query = Request.extractQueryParameters(request);
    Query q;
    try {
      q =
          Query.of(
              query,
              switch (what) {
                case "revisions" -> 20;
                case "history", "rollouts" -> 50;
                default -> 100;
              });
    } catch (IllegalArgumentException e) {
      JsonReplies.failure(response, callback, 400, "BadRequest", e.getMessage());
      return;
    }
    if (what.equals("history") && q.kind() != null && !q.kind().equals("Backend")) {
      JsonReplies.failure(
          response,
          callback,
          400,
          "BadRequest",
          "kind: history is kept for backends only; use " + RecordItems.PREFIX + "events");
      return;
    }
    if (what.equals("rollouts")
        && (q.name() == null || (q.kind() != null && !q.kind().equals("Deployment")))) {
      JsonReplies.failure(
          response,
          callback,
          400,
          "BadRequest",
          "rollouts are kept per Deployment; use "
              + RecordItems.PREFIX
              + "rollouts?kind=Deployment&name=NAME");
      return;
    }
    try {
      RecordsRepository repo = records.get().get();
      var body =
          switch (what) {
            case "events" ->
                RecordItems.list(repo.events(q.kind(), q.name(), q.limit()), RecordItems::event);
            // Oldest first: the latest transition last, as in a log (and in sbctl history).
            case "history" ->
                RecordItems.list(
                    repo.healthHistory(q.name(), q.since(), q.limit()).reversed(),
                    RecordItems::transition);
            // Newest first, as the repository lists them; sbctl prints them oldest first.
            case "rollouts" ->
                RecordItems.list(
                    repo.deploymentRevisions(q.name(), q.limit()), RecordItems::rollout);
            default -> RecordItems.list(repo.revisions(q.limit()), RecordItems::revision);
          };
      JsonReplies.send(response, callback, 200, body);
    } catch (DatabaseUnavailableException e) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "2");
      JsonReplies.failure(
          response,
          callback,
          503,
          "ServiceUnavailable",
          "the records database cannot be reached (" + e.getMessage() + "); retry shortly");
    }
  }

  /** The query parameters, checked: a bad one is a 400 naming it and the fix. */
  record Query(String kind, String name, Instant since, int limit) {
    static Query of(Fields query, int defaultLimit) {
      String kind = query.getValue("kind");
      if (kind != null && !ApiObjects.KINDS.containsValue(kind)) {
        throw new IllegalArgumentException(
            "kind: '" + kind + "' is not Site, Service, Backend or Deployment");
      }
      String name = query.getValue("name");
      if (name != null && !ApiObjects.validName(name)) {
        throw new IllegalArgumentException(
            "name: '"
                + name
                + "' is not valid; use lower-case letters, digits and '-', at most 63 characters");
      }
      String sinceText = query.getValue("since");
      Instant since = Rfc3339.parse(sinceText);
      if (sinceText != null && since == null) {
        throw new IllegalArgumentException(
            "since: '" + sinceText + "' is not an RFC 3339 time; e.g. 2026-05-01T10:00:00Z");
      }
      String limitText = query.getValue("limit");
      int limit = defaultLimit;
      if (limitText != null) {
        try {
          limit = Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
          limit = -1;
        }
        if (limit < 1 || limit > RecordItems.MAX_LIMIT) {
          throw new IllegalArgumentException(
              "limit: '" + limitText + "' is not a number between 1 and " + RecordItems.MAX_LIMIT);
        }
      }
      return new Query(kind, name, since, limit);
    }
  }
}
