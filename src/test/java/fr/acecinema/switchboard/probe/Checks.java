package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import java.time.Duration;

/** Health checks for tests. */
final class Checks {
  private Checks() {}

  static ResolvedHealthCheck http(String path, long intervalMs, long timeoutMs) {
    return http(path, intervalMs, timeoutMs, 2, 2, "200-399", null);
  }

  static ResolvedHealthCheck http(
      String path,
      long intervalMs,
      long timeoutMs,
      int healthy,
      int unhealthy,
      String expectStatus,
      String expectBody) {
    return new ResolvedHealthCheck(
        HealthCheck.Type.HTTP,
        path,
        Duration.ofMillis(intervalMs),
        Duration.ofMillis(timeoutMs),
        healthy,
        unhealthy,
        expectStatus,
        expectBody);
  }

  static ResolvedHealthCheck tcp(long intervalMs, long timeoutMs) {
    return new ResolvedHealthCheck(
        HealthCheck.Type.TCP,
        null,
        Duration.ofMillis(intervalMs),
        Duration.ofMillis(timeoutMs),
        2,
        2,
        "200-399",
        null);
  }
}
