package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.fleet.ApiObjects;
import fr.acecinema.switchboard.fleet.RecordItems;
import fr.acecinema.switchboard.operator.Readiness;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty handler of the endpoint: dispatches {@code /healthz} and {@code /readyz}
 * (unauthenticated), {@code /metrics} (read scope), {@code /apis/...} (to {@link ResourceRoutes}),
 * {@code /records/...} (to {@link RecordRoutes}) and the dashboard's files under {@code /ui/} (to
 * {@link DashboardAssets}); answers 404 elsewhere, and 500 for whatever a route throws, so a bug in
 * one request never reaches Jetty as an unanswered exchange.
 */
final class ApiRoutes extends Handler.Abstract {
  // ApiServer's logger: its name is printed on every line (%logger in logback.xml), so the log
  // output stays what it was before this class was split out of ApiServer.
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private final Supplier<Readiness> ready;
  private final Optional<ApiServer.Api> api;
  private final Optional<BearerAuthenticator> auth;
  private final Optional<ResourceRoutes> resources;
  private final Optional<RecordRoutes> records;
  private final Optional<DashboardAssets> dashboard;

  ApiRoutes(ApiServer.Settings settings, Supplier<Readiness> ready, Optional<ApiServer.Api> api) {
    this.ready = ready;
    this.api = api;
    this.auth = api.map(a -> new BearerAuthenticator(a.tokens()));
    // Watch streams poll isRunning(): stopping the server stops this handler and ends them.
    this.resources =
        api.map(a -> new ResourceRoutes(a, auth.get(), settings.maxBodyBytes(), this::isRunning));
    this.records = api.map(a -> new RecordRoutes(a.records(), auth.get()));
    this.dashboard = api.map(a -> new DashboardAssets());
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      route(request, response, callback);
    } catch (Exception e) {
      LOG.warn(
          "{} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.toString());
      if (!response.isCommitted()) {
        JsonReplies.failure(
            response, callback, 500, "InternalError", "internal error: " + e.getMessage());
      } else {
        // Part of the body is already out (a watch stream): all that is left is to cut it.
        callback.failed(e);
      }
    }
    return true;
  }

  private void route(Request request, Response response, Callback callback) throws Exception {
    String method = request.getMethod();
    String path = request.getHttpURI().getPath();
    if (path.equals("/healthz") || path.equals("/readyz")) {
      health(response, callback, method, path);
      return;
    }
    boolean ui = DashboardAssets.owns(path);
    boolean recordsPath = path.equals("/records") || path.startsWith("/records/");
    if (!ui
        && !path.equals("/metrics")
        && !path.equals("/apis")
        && !path.startsWith("/apis/")
        && !recordsPath) {
      JsonReplies.failure(
          response,
          callback,
          404,
          "NotFound",
          "no such path; see /healthz, /readyz, /metrics, "
              + ApiObjects.PREFIX
              + ", "
              + RecordItems.PREFIX
              + ", "
              + DashboardAssets.PREFIX);
      return;
    }
    if (api.isEmpty()) {
      JsonReplies.failure(response, callback, 404, "NotFound", "this process serves no API");
      return;
    }
    if (ui) {
      dashboard.get().serve(method, path, response, callback);
      return;
    }
    if (path.equals("/metrics")) {
      metrics(request, response, callback);
      return;
    }
    if (recordsPath) {
      records.get().handle(request, response, callback, method, path);
      return;
    }
    resources.get().handle(request, response, callback, method, path);
  }

  /** Liveness always 200 while the process answers; readiness 503 until the conditions hold. */
  private void health(Response response, Callback callback, String method, String path) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      JsonReplies.send(response, callback, 405, JsonReplies.status("method not allowed"));
      return;
    }
    Readiness r = readiness();
    if (path.equals("/healthz")) {
      JsonReplies.send(response, callback, 200, r.healthzBody());
    } else {
      JsonReplies.send(response, callback, r.ready() ? 200 : 503, r.readyzBody());
    }
  }

  private void metrics(Request request, Response response, Callback callback) {
    if (auth.get().authorize(request, response, callback, Scope.read).isPresent()) {
      byte[] text = api.get().metrics().get().getBytes(StandardCharsets.UTF_8);
      response.setStatus(200);
      // Prometheus text exposition, not JSON: the one reply that bypasses JsonReplies.
      response
          .getHeaders()
          .put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      response.write(true, ByteBuffer.wrap(text), callback);
    }
  }

  /** A readiness check that throws is reported as not ready, never as a 500. */
  private Readiness readiness() {
    try {
      return ready.get();
    } catch (RuntimeException e) {
      LOG.warn("readiness check failed", e);
      return Readiness.failed(e);
    }
  }
}
