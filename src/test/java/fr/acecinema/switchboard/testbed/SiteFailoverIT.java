package fr.acecinema.switchboard.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.bench.FailoverBenchmark;
import fr.acecinema.switchboard.bench.FailoverBenchmark.Result;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Phase-I criterion on the multi-site testbed with real Caddy in the hub: the api service has
 * backends on dijon (weight 10) and thory (weight 1); a whole site is cut under a steady open-loop
 * load of 200 requests/s; the service stays reachable with zero failed requests, Caddy moves to
 * thory by itself (health checks from Switchboard's config, then the tunnel verdict takes dijon out
 * in one push), and dijon gets traffic again after heal. Needs root: fails saying so otherwise.
 */
class SiteFailoverIT {
  private static Testbed tb;
  private static OkHttpClient http;
  private static FailoverBenchmark.SwitchboardArm arm;

  @BeforeAll
  static void up() throws Exception {
    tb = Testbed.up();
    tb.startBackend("dijon", "10.200.0.23", 8080, "dijon-api");
    tb.startBackend("thory", "10.200.1.45", 8080, "thory-api");
    http = FailoverBenchmark.client();
    arm = new FailoverBenchmark.SwitchboardArm(http);
    arm.start();
  }

  @AfterAll
  static void down() {
    if (arm != null) {
      arm.close();
    }
    if (http != null) {
      http.dispatcher().executorService().shutdownNow();
    }
    if (tb != null) {
      tb.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Testbed.Cut.class)
  void cuttingAWholeSiteUnderLoadFailsNoRequestAndTheSiteReturnsAfterHeal(Testbed.Cut mode)
      throws Exception {
    Result r = FailoverBenchmark.drill(tb, http, arm, mode, 200, 8);
    System.out.printf(
        "%s: cut %s; healed %s; moved %d ms; back %d ms; loads %d%n",
        mode, r.cut(), r.healed(), r.movedMillis(), r.backMillis(), r.loads());

    assertThat(r.steady().requests()).isGreaterThan(800);
    assertThat(r.cut().requests()).isGreaterThan(1400);
    assertThat(r.steady().failed() + r.cut().failed() + r.healed().failed()).isZero();
    assertThat(r.movedMillis()).as("traffic moved to thory").isBetween(0L, 2000L);
    assertThat(r.backMillis()).as("dijon serves again after heal").isBetween(0L, 5000L);
    assertThat(r.cut().max())
        .as("no request slower than the response timeout + 0.5 s")
        .isLessThanOrEqualTo(FailoverBenchmark.RESPONSE_TIMEOUT.toMillis() + 500);
  }
}
