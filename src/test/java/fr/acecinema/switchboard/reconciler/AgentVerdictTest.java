package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.agent.AgentReport;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteSpec;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.testing.MutableClock;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentVerdictTest {
  private static final Duration REFRESH = Duration.ofSeconds(30);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  private final AgentRegistry agents = new AgentRegistry(clock);
  private final Site site = site();
  private final SiteStatus status = new SiteStatus();
  private long sent;

  private static Site site() {
    Site s = new Site();
    s.setMetadata(new ObjectMetaBuilder().withName("dijon").withGeneration(1L).build());
    s.setSpec(new SiteSpec());
    return s;
  }

  private void heartbeat(String... containers) {
    sent++;
    agents.report(
        "dijon",
        new AgentReport(
            "0.2.0",
            "20.10.24",
            "dijon-docker",
            Instant.parse("2026-12-02T00:00:00Z").plusSeconds(sent),
            Duration.ofSeconds(5),
            java.util.Arrays.stream(containers)
                .map(
                    n ->
                        new AgentReport.ContainerSeen(
                            n, n, "running", "healthy", "dijon-" + n, null))
                .toList()));
  }

  private Optional<Duration> apply() {
    return AgentVerdict.apply(site, status, agents, clock.instant(), REFRESH);
  }

  private Condition connected() {
    return status.condition("AgentConnected").orElseThrow();
  }

  @Test
  void aSiteWithoutAnAgentGetsNoAgentConditionNorFacts() {
    assertThat(apply()).isEmpty();
    assertThat(status.condition("AgentConnected")).isEmpty();
    assertThat(status.agent).isNull();
  }

  @Test
  void aHeartbeatingAgentIsConnectedWithItsFactsAndIsLookedAtAgainBeforeItIsLate() {
    heartbeat("web1");
    assertThat(apply()).hasValue(Duration.ofMillis(15_100));
    assertThat(connected().status).isEqualTo(Condition.TRUE);
    assertThat(connected().reason).isEqualTo("Heartbeating");
    assertThat(connected().message).contains("dijon-docker").contains("Docker 20.10.24");
    assertThat(status.agent.hostName).isEqualTo("dijon-docker");
    assertThat(status.agent.containers)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.name).isEqualTo("web1");
              assertThat(c.backend).isEqualTo("dijon-web1");
            });
  }

  @Test
  void threeMissedIntervalsTurnItFalseWithoutTouchingAnythingElse() {
    heartbeat("web1");
    apply();
    clock.advance(Duration.ofSeconds(15));
    assertThat(apply()).hasValue(Duration.ofMillis(100));
    assertThat(connected().status).isEqualTo(Condition.TRUE);
    clock.advance(Duration.ofMillis(200));
    assertThat(apply()).isEmpty();
    assertThat(connected().status).isEqualTo(Condition.FALSE);
    assertThat(connected().reason).isEqualTo("HeartbeatMissed");
    assertThat(connected().message).contains("hub's own probes");
    assertThat(status.condition("Ready")).isEmpty();
  }

  @Test
  void aHeartbeatThatChangesNothingRewritesTheTimeOnlyAfterTheRefreshPeriod() {
    heartbeat("web1");
    apply();
    String first = status.agent.lastHeartbeat;
    clock.advance(Duration.ofSeconds(5));
    heartbeat("web1");
    apply();
    assertThat(status.agent.lastHeartbeat).isEqualTo(first);
    clock.advance(Duration.ofSeconds(5));
    heartbeat("web1", "web2");
    apply();
    assertThat(status.agent.lastHeartbeat).isNotEqualTo(first);
    assertThat(status.agent.containers).hasSize(2);
    String second = status.agent.lastHeartbeat;
    clock.advance(Duration.ofSeconds(31));
    heartbeat("web1", "web2");
    apply();
    assertThat(status.agent.lastHeartbeat).isNotEqualTo(second);
  }

  @Test
  void afterAHubRestartTheFactsStayAndTheAgentIsUnknownUntilItReports() {
    status.agent = new SiteStatus.AgentStatus();
    status.agent.hostName = "dijon-docker";
    assertThat(apply()).isEmpty();
    assertThat(connected().status).isEqualTo(Condition.UNKNOWN);
    assertThat(connected().reason).isEqualTo("AwaitingHeartbeat");
    assertThat(status.agent.hostName).isEqualTo("dijon-docker");
    assertThat(List.of(status.agent)).hasSize(1);
  }
}
