package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.util.LogThrottle;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer-token authentication and scope checks for the API paths: which {@link Scope} a request
 * needs, and whether its {@code Authorization} header carries a live token that covers it. On
 * refusal it answers 401 (no or unknown token, with {@code WWW-Authenticate}) or 403 (token too
 * weak) itself, so callers only stop. The token itself is never logged, only its name.
 */
final class BearerAuthenticator {
  // ApiServer's logger: its name is printed on every line (%logger in logback.xml), so the log
  // output stays what it was before this class was split out of ApiServer.
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private final TokenStore tokens;
  private final LogThrottle badTokens;

  BearerAuthenticator(TokenStore tokens) {
    this(tokens, LogThrottle.perMinute());
  }

  /** With the throttle of the "rejected token" lines (tests pass one with their own clock). */
  BearerAuthenticator(TokenStore tokens, LogThrottle badTokens) {
    this.tokens = tokens;
    this.badTokens = badTokens;
  }

  /**
   * The scope a method needs on the resource paths: reads need read, DELETE needs admin (a deploy
   * pipeline's write token cannot remove a site), every other method needs write.
   */
  static Scope needed(String method) {
    boolean read = method.equals("GET") || method.equals("HEAD");
    return read ? Scope.read : method.equals("DELETE") ? Scope.admin : Scope.write;
  }

  /**
   * The token of the request if it may do {@code needed}; otherwise answers 401 or 403 and returns
   * empty.
   */
  Optional<TokenStore.Token> authorize(
      Request request, Response response, Callback callback, Scope needed) {
    Optional<TokenStore.Token> token = authenticate(request, response, callback);
    if (token.isPresent() && !permits(token.get(), needed, request, response, callback)) {
      return Optional.empty();
    }
    return token;
  }

  /** The live token of the request, whatever its scope; otherwise answers 401, returns empty. */
  Optional<TokenStore.Token> authenticate(Request request, Response response, Callback callback) {
    String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"switchboard\"");
      JsonReplies.failure(
          response,
          callback,
          401,
          "Unauthorized",
          "missing bearer token; send 'Authorization: Bearer TOKEN' (create one with sbctl"
              + " token create)");
      return Optional.empty();
    }
    Optional<TokenStore.Token> token = tokens.authenticate(header.substring(7).trim());
    if (token.isEmpty()) {
      // The remote address, not the token: a guessed token must not end up in the logs. One line
      // per client and minute, with a count: a client guessing tokens must not flood the log.
      String client = Request.getRemoteAddr(request);
      badTokens.occurred(
          client,
          more ->
              LOG.info(
                  "rejected an unknown or revoked bearer token from {}{}",
                  client,
                  LogThrottle.more(more)));
      response
          .getHeaders()
          .put(
              HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"switchboard\", error=\"invalid_token\"");
      JsonReplies.failure(
          response, callback, 401, "Unauthorized", "invalid bearer token (unknown or revoked)");
      return Optional.empty();
    }
    return token;
  }

  /** Whether {@code token} covers {@code needed}; otherwise answers 403. */
  boolean permits(
      TokenStore.Token token, Scope needed, Request request, Response response, Callback callback) {
    if (token.scope().covers(needed)) {
      return true;
    }
    JsonReplies.failure(
        response,
        callback,
        403,
        "Forbidden",
        "token '"
            + token.name()
            + "' has scope "
            + token.scope()
            + "; "
            + request.getMethod()
            + " needs "
            + needed);
    return false;
  }
}
