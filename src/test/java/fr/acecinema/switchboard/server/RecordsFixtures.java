package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.runtime.ResourceStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Records to read and an API server serving them, for the records ITs. */
public final class RecordsFixtures {
  private RecordsFixtures() {}

  /**
   * Two transitions of api-dijon (Healthy at 11:00 with 3 ms, Unhealthy at 11:58 without latency),
   * one of api-thory (11:30), an applied then a failed revision, a counted event of api-dijon
   * (twice) and a newer one of site dijon.
   */
  public static void seed(RecordsRepository records) {
    records.appendHealthTransition(
        new HealthTransition(
            "api-dijon",
            null,
            "Healthy",
            "ProbeSucceeded",
            "health check passed in 3 ms",
            3,
            Instant.parse("2026-03-01T11:00:00Z")));
    records.appendHealthTransition(
        new HealthTransition(
            "api-dijon",
            "Healthy",
            "Unhealthy",
            "ProbeFailed",
            "HTTP 503, expected 200-399",
            null,
            Instant.parse("2026-03-01T11:58:00Z")));
    records.appendHealthTransition(
        new HealthTransition(
            "api-thory",
            null,
            "Healthy",
            "ProbeSucceeded",
            "ok",
            5,
            Instant.parse("2026-03-01T11:30:00Z")));
    ObjectMapper json = new ObjectMapper();
    records.recordRevision(
        "3f2a9c0d11aa22bb", json.createObjectNode(), ConfigRevision.Result.APPLIED, null);
    records.recordRevision(
        "77aa9c0d11aa22bb",
        json.createObjectNode(),
        ConfigRevision.Result.FAILED,
        "loading config: bad upstream");
    records.recordEvent("Backend", "api-dijon", EventType.WARNING, "BackendDown", "down");
    records.recordEvent("Backend", "api-dijon", EventType.WARNING, "BackendDown", "down");
    records.recordEvent("Site", "dijon", EventType.NORMAL, "SiteReady", "1/1 healthy");
    for (DeploymentRevision r : rollouts("api")) {
      records.upsertDeploymentRevision(r);
    }
  }

  /**
   * Three revisions of Deployment {@code name}: 1 (local/api:1, LOG=info) complete, 2 (local/api:2,
   * port 9090) rolled back, 3 (local/api:3, CRON=on for the primary) rolling out.
   */
  public static List<DeploymentRevision> rollouts(String name) {
    Instant t = Instant.parse("2026-03-01T10:00:00Z");
    return List.of(
        new DeploymentRevision(
            name,
            1,
            "a1",
            "local/api:1",
            8080,
            Map.of("LOG", "info"),
            null,
            DeploymentRevision.State.COMPLETE,
            t,
            t.plusSeconds(40)),
        new DeploymentRevision(
            name,
            2,
            "b2",
            "local/api:2",
            9090,
            Map.of("LOG", "info"),
            null,
            DeploymentRevision.State.ROLLED_BACK,
            t.plusSeconds(600),
            t.plusSeconds(720)),
        new DeploymentRevision(
            name,
            3,
            "c3",
            "local/api:3",
            8080,
            Map.of("LOG", "info"),
            Map.of("CRON", "on"),
            DeploymentRevision.State.ROLLING_OUT,
            t.plusSeconds(3600),
            t.plusSeconds(3600)));
  }

  /** An API server on loopback (port 0) over {@code target} and {@code records}. */
  public static ApiServer serve(
      TokenStore tokens, ResourceTarget target, Optional<Supplier<RecordsRepository>> records)
      throws IOException {
    return serve(
        ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)), tokens, target, records);
  }

  /** The same with {@code settings} (TLS). */
  public static ApiServer serve(
      ApiServer.Settings settings,
      TokenStore tokens,
      ResourceTarget target,
      Optional<Supplier<RecordsRepository>> records)
      throws IOException {
    return ApiServer.start(
        settings,
        () -> Readiness.of(true),
        Optional.of(
            new ApiServer.Api(
                tokens,
                new ResourceApi(target),
                new WatchHub(new ResourceStore(), Switchboard.mapper()),
                () -> "",
                records)));
  }
}
