package fr.acecinema.switchboard.testbed;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One whole-site drill under open-loop load through Caddy in the hub: steady window, cut of a site,
 * heal, after window. Which requests were sent to the cut site comes from Caddy's debug log ({@link
 * CaddyProcess#requestsSentTo}), so "traffic moved" means "no request sent to (or hung on) the cut
 * site any more", not "no slow request any more".
 */
public final class SiteDrill {
  private static final long SLOW_MILLIS = 200;

  /** Timing of a drill. */
  public record Plan(int rate, Duration steady, Duration cut, Duration after, Duration timeout) {}

  /** Figures of one window. */
  public record Window(
      int requests, long failed, long p50, long p99, long max, long overOneSecond) {
    public static Window of(List<OpenLoad.Sample> samples) {
      List<Long> ms = samples.stream().map(OpenLoad.Sample::millis).sorted().toList();
      if (ms.isEmpty()) {
        return new Window(0, 0, -1, -1, -1, 0);
      }
      return new Window(
          ms.size(),
          samples.stream().filter(OpenLoad.Sample::failed).count(),
          ms.get(ms.size() / 2),
          ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1)),
          ms.get(ms.size() - 1),
          ms.stream().filter(m -> m > 1000).count());
    }

    @Override
    public String toString() {
      return String.format(
          "%5d req %4d failed  p50 %4d  p99 %5d  max %5d ms  >1s %4d",
          requests, failed, p50, p99, max, overOneSecond);
    }
  }

  /**
   * Result of a drill.
   *
   * @param movedMillis cut → start of the last cut-window request sent to (or hung on) the cut
   *     site; -1 when that was still happening in the last second of the cut (never moved)
   * @param slowMovedMillis the former definition: cut → start of the last cut-window request that
   *     failed, took more than 200 ms or was answered by the cut site (a reload-induced slow
   *     request served by the surviving site counts here, not above)
   * @param sentToCutSite cut-window requests sent at least once to the cut site
   * @param backMillis heal → start of the first request answered by the cut site, -1 if none
   * @param loads Caddy config loads during the drill (each one a full reload in 2.6.2)
   * @param failures failed requests by code and error (digits masked)
   * @param cutNanos when the cut was made ({@link System#nanoTime()})
   */
  public record Result(
      String arm,
      Testbed.Cut mode,
      Window steady,
      Window cut,
      Window healed,
      long movedMillis,
      long slowMovedMillis,
      long sentToCutSite,
      long backMillis,
      long loads,
      Map<String, Long> failures,
      long cutNanos) {
    public long failed() {
      return steady.failed() + cut.failed() + healed.failed();
    }
  }

  private SiteDrill() {}

  /**
   * Runs a drill of {@code site} (whose backends live on {@code subnetPrefix}, e.g. {@code
   * "10.200.0."}, and answer with a name starting with {@code backendPrefix}) against {@code
   * url}/{@code host}. Waits first until both sites answer.
   */
  public static Result run(
      String arm,
      Testbed tb,
      CaddyProcess caddy,
      OkHttpClient http,
      String url,
      String host,
      Testbed.Cut mode,
      String site,
      String subnetPrefix,
      String backendPrefix,
      Set<String> warmup,
      Plan plan) {
    awaitAnswers(http, url, host, warmup, Duration.ofSeconds(30));
    long loadsBefore = caddy.reloads();
    Duration total = plan.steady().plus(plan.cut()).plus(plan.after()).plusSeconds(5);
    OpenLoad load = OpenLoad.start(http, url, host, plan.rate(), total);
    long cutAt;
    long healAt;
    List<OpenLoad.Sample> all;
    try {
      load.awaitArrivals(plan.steady());
      cutAt = System.nanoTime();
      tb.cut(mode, site);
      load.awaitArrivals(plan.cut());
      healAt = System.nanoTime();
      tb.heal(site);
      load.awaitArrivals(plan.after());
    } finally {
      all = load.stop(plan.timeout().plusSeconds(2));
    }
    long cutStart = cutAt;
    long healStart = healAt;
    Set<Long> sentThere = new HashSet<>(caddy.requestsSentTo(subnetPrefix));
    all.stream()
        .filter(s -> s.backend().startsWith(backendPrefix))
        .forEach(s -> sentThere.add(s.id()));
    List<OpenLoad.Sample> steady = all.stream().filter(s -> s.start() < cutStart).toList();
    List<OpenLoad.Sample> cut =
        all.stream().filter(s -> s.start() >= cutStart && s.start() < healStart).toList();
    List<OpenLoad.Sample> healed = all.stream().filter(s -> s.start() >= healStart).toList();
    long cutMillis = (healStart - cutStart) / 1_000_000;
    long moved = lastStart(cut, s -> sentThere.contains(s.id()), cutStart);
    long slowMoved =
        lastStart(
            cut,
            s -> s.failed() || s.millis() > SLOW_MILLIS || s.backend().startsWith(backendPrefix),
            cutStart);
    long back =
        healed.stream()
            .filter(s -> s.backend().startsWith(backendPrefix))
            .mapToLong(s -> (s.start() - healStart) / 1_000_000)
            .min()
            .orElse(-1);
    Map<String, Long> failures = new TreeMap<>();
    all.stream()
        .filter(OpenLoad.Sample::failed)
        .forEach(
            s ->
                failures.merge(
                    s.code() + " " + s.backend().replaceAll("[0-9]+", "#"), 1L, Long::sum));
    return new Result(
        arm,
        mode,
        Window.of(steady),
        Window.of(cut),
        Window.of(healed),
        moved > cutMillis - 1000 ? -1 : moved,
        slowMoved > cutMillis - 1000 ? -1 : slowMoved,
        cut.stream().filter(s -> sentThere.contains(s.id())).count(),
        back,
        caddy.reloads() - loadsBefore,
        failures,
        cutStart);
  }

  private static long lastStart(
      List<OpenLoad.Sample> window, java.util.function.Predicate<OpenLoad.Sample> p, long from) {
    return window.stream().filter(p).mapToLong(OpenLoad.Sample::start).max().stream()
        .map(last -> (last - from) / 1_000_000)
        .findFirst()
        .orElse(0);
  }

  /** Sends requests (at most {@code atMost}) until each of {@code names} has answered once. */
  public static void awaitAnswers(
      OkHttpClient http, String url, String host, Set<String> names, Duration atMost) {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(50))
        .alias("answers from " + names + " at " + host)
        .until(
            () -> {
              seen.add(answer(http, url, host));
              return seen.containsAll(names);
            });
  }

  /** First word of the body of one GET, {@code "HTTP <code>"} or {@code "failed: <error>"}. */
  public static String answer(OkHttpClient http, String url, String host) {
    try (Response r =
        http.newCall(new Request.Builder().url(url).header("Host", host).build()).execute()) {
      String body = r.body().string();
      return r.code() == 200 ? body.split("[ \\n]")[0] : "HTTP " + r.code();
    } catch (Exception e) {
      return "failed: " + e;
    }
  }
}
