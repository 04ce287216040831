package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailoverHubClientTest {
  private final FakeHub a = new FakeHub();
  private final FakeHub b = new FakeHub();
  private final FailoverHubClient hubs = new FailoverHubClient(List.of(a, b));

  private static AgentReport report() {
    return new AgentReport(
        "test", "24.0", "host", Instant.now(), Duration.ofSeconds(1), List.of(), List.of());
  }

  private static HubBackend backend(String name) {
    BackendSpec spec = new BackendSpec();
    spec.service = "api";
    spec.site = "dijon";
    spec.address = "10.200.0.5";
    spec.port = 8080;
    return new HubBackend(name, Map.of("managed-by", "agent/dijon"), spec);
  }

  @Test
  void aHeartbeatGoesToEveryHubAndCountsWhileOneAcceptsIt() throws Exception {
    hubs.report("dijon", report());
    assertThat(a.reports).hasSize(1);
    assertThat(b.reports).hasSize(1);
    a.down = true;
    hubs.report("dijon", report());
    assertThat(b.reports).hasSize(2);
    b.down = true;
    assertThatThrownBy(() -> hubs.report("dijon", report()))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE));
  }

  @Test
  void aHubThatHangsDoesNotHoldTheHeartbeatsOnceAnotherAcceptedThem() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    var hanging =
        new FakeHub() {
          @Override
          public void report(String site, AgentReport report) throws HubException {
            try {
              release.await(); // a hub cut off: its connect timeout runs
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            super.report(site, report);
          }
        };
    var client = new FailoverHubClient(List.of(hanging, b));
    try {
      var twoBeats =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  client.report("dijon", report());
                  client.report("dijon", report());
                } catch (HubException e) {
                  throw new IllegalStateException(e);
                }
              });
      // Both return while the hanging hub still hangs (waiting for it would never end).
      await().atMost(Duration.ofSeconds(30)).until(twoBeats::isDone);
      twoBeats.join();
      assertThat(b.reports).hasSize(2);
      release.countDown();
      await().until(() -> hanging.reports.size() == 1);
      // The second heartbeat was not queued behind the first on the hanging hub.
      assertThat(hanging.reports).hasSize(1);
      await()
          .untilAsserted(
              () -> {
                client.report("dijon", report());
                assertThat(hanging.reports).hasSize(2);
              });
    } finally {
      release.countDown();
    }
  }

  @Test
  void aReplayOnOneHubIsReportedSoTheNextHeartbeatIsDatedLater() {
    a.reportFailures.add(FakeHub.status(409));
    assertThatThrownBy(() -> hubs.report("dijon", report()))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.REPLAY));
    assertThat(b.reports).hasSize(1);
  }

  @Test
  void writesGoToTheFirstHubThatAnswersAndStayThereUntilItStopsAnswering() throws Exception {
    a.down = true;
    hubs.putBackend(backend("dijon-api-1"));
    assertThat(b.backends).containsKey("dijon-api-1");
    assertThat(a.writes()).containsExactly("PUT dijon-api-1");
    // b answered last: it is asked first, a is not tried again while b answers.
    hubs.putBackend(backend("dijon-api-2"));
    hubs.deleteBackend("dijon-api-1");
    assertThat(a.writes()).containsExactly("PUT dijon-api-1");
    assertThat(b.writes())
        .containsExactly("PUT dijon-api-1", "PUT dijon-api-2", "DELETE dijon-api-1");
    a.down = false;
    b.down = true;
    assertThat(hubs.backends()).isEmpty();
    assertThat(a.lists).isEqualTo(1);
  }

  @Test
  void aRefusalIsAnAnswerNotAReasonToAskTheOtherHub() {
    a.putFailures.add(FakeHub.status(422));
    assertThatThrownBy(() -> hubs.putBackend(backend("dijon-api-1")))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.REFUSED));
    assertThat(b.writes()).isEmpty();
  }

  @Test
  void whenNoHubAnswersTheErrorNamesEach() {
    a.down = true;
    b.down = true;
    assertThatThrownBy(hubs::deployments)
        .isInstanceOfSatisfying(
            HubException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(HubException.Kind.UNAVAILABLE);
              assertThat(e.getMessage()).startsWith("no hub answers: ").contains("; ");
            });
  }
}
