package fr.acecinema.switchboard.testbed;

import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.awaitility.Awaitility;

/**
 * Open-loop load: a fixed arrival rate whatever the answers do, each request its own async call, so
 * a hung request never delays the next ones. Bounded: arrivals stop at {@link #stop()} or after
 * {@code maxDuration}, whichever comes first. Every request carries {@value #ID_HEADER}: n, so
 * Caddy's debug log tells which upstreams request n was sent to.
 */
public final class OpenLoad {
  public static final String ID_HEADER = "X-Load-Id";

  /**
   * One request: start/end in {@link System#nanoTime()}, HTTP code (-1 on a transport error), the
   * first word of the body (the backend's name) or the error.
   */
  public record Sample(long id, long start, long end, int code, String backend) {
    public long millis() {
      return (end - start) / 1_000_000;
    }

    public boolean failed() {
      return code < 200 || code > 299;
    }
  }

  private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  // JVM-wide: several loads share one Caddy log, an id must name one request only.
  private static final AtomicLong ids = new AtomicLong();
  private final ScheduledExecutorService arrivals = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong sent = new AtomicLong();
  private final OkHttpClient http;
  private final String url;
  private final String host;
  private final long deadline;
  private final int rate;

  private OpenLoad(OkHttpClient http, String url, String host, int rate, Duration maxDuration) {
    this.http = http;
    this.url = url;
    this.host = host;
    this.rate = rate;
    this.deadline = System.nanoTime() + maxDuration.toNanos();
  }

  /**
   * Starts sending GET {@code url} with {@code Host: host} at {@code rate} requests/s. The client
   * needs a dispatcher wide enough for the requests that may hang (see {@link #client}).
   */
  public static OpenLoad start(
      OkHttpClient http, String url, String host, int rate, Duration maxDuration) {
    OpenLoad load = new OpenLoad(http, url, host, rate, maxDuration);
    load.arrivals.scheduleAtFixedRate(load::fire, 0, 1_000_000_000L / rate, TimeUnit.NANOSECONDS);
    return load;
  }

  /** A client for open-loop load: up to 5,000 requests in flight, {@code timeout} per call. */
  public static OkHttpClient client(Duration timeout) {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(5000);
    dispatcher.setMaxRequestsPerHost(5000);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new okhttp3.ConnectionPool(200, 1, TimeUnit.MINUTES))
        .callTimeout(timeout)
        .build();
  }

  /** Stops arrivals, waits (at most {@code drain}) for requests in flight; samples by start. */
  public List<Sample> stop(Duration drain) {
    arrivals.shutdownNow();
    Awaitility.await()
        .atMost(drain)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> inFlight.get() == 0);
    return samples.stream().sorted(Comparator.comparingLong(Sample::start)).toList();
  }

  /**
   * Returns once {@code phase} worth of requests more ({@code rate} x {@code phase}) have been
   * sent: a phase of a drill is its share of the load, waited for as such rather than slept
   * through.
   */
  public void awaitArrivals(Duration phase) {
    long target = sent.get() + rate * phase.toMillis() / 1000;
    Awaitility.await()
        .atMost(phase.plusSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> sent.get() >= target);
  }

  /** Samples so far (requests still in flight are missing). */
  public List<Sample> snapshot() {
    return samples.stream().sorted(Comparator.comparingLong(Sample::start)).toList();
  }

  private void fire() {
    if (System.nanoTime() > deadline) {
      arrivals.shutdown();
      return;
    }
    long id = ids.incrementAndGet();
    long start = System.nanoTime();
    sent.incrementAndGet();
    inFlight.incrementAndGet();
    Request request =
        new Request.Builder()
            .url(url)
            .header("Host", host)
            .header(ID_HEADER, Long.toString(id))
            .build();
    http.newCall(request)
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                samples.add(new Sample(id, start, System.nanoTime(), -1, e.toString()));
                inFlight.decrementAndGet();
              }

              @Override
              public void onResponse(Call call, Response response) {
                try (response) {
                  String body = response.body().string();
                  samples.add(
                      new Sample(
                          id, start, System.nanoTime(), response.code(), body.split("[ \\n]")[0]));
                } catch (IOException e) {
                  samples.add(new Sample(id, start, System.nanoTime(), -1, e.toString()));
                } finally {
                  inFlight.decrementAndGet();
                }
              }
            });
  }
}
