package fr.acecinema.switchboard.api.v1alpha1;

import fr.acecinema.switchboard.util.Durations;
import java.time.Duration;

/**
 * A health check with every default applied: the backend's override field by field, then the
 * service's, then the built-in default.
 */
public record ResolvedHealthCheck(
    HealthCheck.Type type,
    String path,
    Duration interval,
    Duration timeout,
    int healthyThreshold,
    int unhealthyThreshold,
    String expectStatus,
    String expectBody) {

  public static final HealthCheck.Type DEFAULT_TYPE = HealthCheck.Type.HTTP;
  public static final String DEFAULT_PATH = "/health";
  public static final String DEFAULT_INTERVAL = "2s";
  public static final String DEFAULT_TIMEOUT = "1s";
  public static final int DEFAULT_HEALTHY_THRESHOLD = 2;
  public static final int DEFAULT_UNHEALTHY_THRESHOLD = 2;
  public static final String DEFAULT_EXPECT_STATUS = "200-399";

  /**
   * Resolves the effective check.
   *
   * @param service the service's check, may be null
   * @param backend the backend's override, may be null
   * @throws IllegalArgumentException when a duration does not parse
   */
  public static ResolvedHealthCheck resolve(HealthCheck service, HealthCheck backend) {
    HealthCheck s = service == null ? new HealthCheck() : service;
    HealthCheck b = backend == null ? new HealthCheck() : backend;
    return new ResolvedHealthCheck(
        first(b.type, s.type, DEFAULT_TYPE),
        first(b.path, s.path, DEFAULT_PATH),
        Durations.parse(first(b.interval, s.interval, DEFAULT_INTERVAL)),
        Durations.parse(first(b.timeout, s.timeout, DEFAULT_TIMEOUT)),
        first(b.healthyThreshold, s.healthyThreshold, DEFAULT_HEALTHY_THRESHOLD),
        first(b.unhealthyThreshold, s.unhealthyThreshold, DEFAULT_UNHEALTHY_THRESHOLD),
        first(b.expectStatus, s.expectStatus, DEFAULT_EXPECT_STATUS),
        first(b.expectBody, s.expectBody, null));
  }

  private static <T> T first(T a, T b, T c) {
    return a != null ? a : b != null ? b : c;
  }

  /** Whether an HTTP status code is accepted by {@link #expectStatus}. */
  public boolean acceptsStatus(int code) {
    for (String part : expectStatus.split(",")) {
      String[] range = part.split("-");
      int lo = Integer.parseInt(range[0].trim());
      int hi = range.length > 1 ? Integer.parseInt(range[1].trim()) : lo;
      if (code >= lo && code <= hi) {
        return true;
      }
    }
    return false;
  }
}
