package fr.acecinema.switchboard.postgres;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/**
 * Probe results of one backend over one minute. Several flushes for the same minute add up.
 *
 * @param backend backend name
 * @param minute start of the minute (truncated to the minute)
 * @param probes probes sent
 * @param failures probes that failed (at most {@code probes})
 * @param latencySumMs sum of latencies of answered probes, in ms
 * @param latencyMaxMs highest latency, in ms
 * @param latencyBuckets probe counts per latency bucket; bucket i counts latencies up to {@link
 *     #BUCKET_UPPER_BOUNDS_MS}[i], the last one everything above
 */
public record ProbeMinute(
    String backend,
    Instant minute,
    int probes,
    int failures,
    long latencySumMs,
    int latencyMaxMs,
    int[] latencyBuckets) {

  /** Inclusive upper bounds of the latency buckets, in ms; one more bucket holds the rest. */
  static final long[] BUCKET_UPPER_BOUNDS_MS = {5, 10, 25, 50, 100, 250, 500, 1000, 2500};

  /** Number of latency buckets. */
  public static final int BUCKETS = BUCKET_UPPER_BOUNDS_MS.length + 1;

  public ProbeMinute {
    if (latencyBuckets.length != BUCKETS) {
      throw new IllegalArgumentException(
          "latencyBuckets needs " + BUCKETS + " entries, got " + latencyBuckets.length);
    }
    if (failures < 0 || probes < 0 || failures > probes) {
      throw new IllegalArgumentException(
          "need 0 <= failures <= probes, got " + failures + "/" + probes);
    }
    minute = minute.truncatedTo(ChronoUnit.MINUTES);
    latencyBuckets = latencyBuckets.clone();
  }

  /** An empty minute for {@code backend} containing {@code at}, to fold samples into. */
  public static ProbeMinute empty(String backend, Instant at) {
    return new ProbeMinute(backend, at, 0, 0, 0, 0, new int[BUCKETS]);
  }

  /** This minute with one more probe: {@code latencyMs} is ignored for failures without answer. */
  public ProbeMinute plus(boolean ok, long latencyMs) {
    int[] buckets = latencyBuckets.clone();
    long sum = latencySumMs;
    int max = latencyMaxMs;
    if (ok) {
      buckets[bucketOf(latencyMs)]++;
      sum += latencyMs;
      max = (int) Math.max(max, Math.min(latencyMs, Integer.MAX_VALUE));
    }
    return new ProbeMinute(backend, minute, probes + 1, failures + (ok ? 0 : 1), sum, max, buckets);
  }

  /** Index of the bucket counting {@code latencyMs}. */
  public static int bucketOf(long latencyMs) {
    for (int i = 0; i < BUCKET_UPPER_BOUNDS_MS.length; i++) {
      if (latencyMs <= BUCKET_UPPER_BOUNDS_MS[i]) {
        return i;
      }
    }
    return BUCKET_UPPER_BOUNDS_MS.length;
  }

  @Override
  public int[] latencyBuckets() {
    return latencyBuckets.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProbeMinute p
        && backend.equals(p.backend)
        && minute.equals(p.minute)
        && probes == p.probes
        && failures == p.failures
        && latencySumMs == p.latencySumMs
        && latencyMaxMs == p.latencyMaxMs
        && Arrays.equals(latencyBuckets, p.latencyBuckets);
  }

  @Override
  public int hashCode() {
    return backend.hashCode() * 31 + minute.hashCode();
  }

  @Override
  public String toString() {
    return "ProbeMinute["
        + backend
        + " "
        + minute
        + " probes="
        + probes
        + " failures="
        + failures
        + " sum="
        + latencySumMs
        + " max="
        + latencyMaxMs
        + " buckets="
        + Arrays.toString(latencyBuckets)
        + "]";
  }
}
