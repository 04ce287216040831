package fr.acecinema.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentRegistryTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  private final AgentRegistry registry = new AgentRegistry(clock);

  private static AgentReport report(String sentAt) {
    return withReplicas(sentAt, null);
  }

  @Test
  void keepsTheLastReportWithTheHubsReceptionTimeAndTellsTheSite() {
    List<String> told = new ArrayList<>();
    registry.onReport(told::add);
    assertThat(registry.report("dijon", report("2026-12-02T09:59:59Z")))
        .isEqualTo(AgentRegistry.Outcome.ACCEPTED);
    clock.advance(Duration.ofSeconds(5));
    registry.report("dijon", report("2026-12-02T10:00:04Z"));
    assertThat(registry.last("dijon").orElseThrow().report().sentAt())
        .isEqualTo(Instant.parse("2026-12-02T10:00:04Z"));
    assertThat(registry.last("dijon").orElseThrow().receivedAt())
        .isEqualTo(Instant.parse("2026-12-02T10:00:05Z"));
    assertThat(told).containsExactly("dijon", "dijon");
    assertThat(registry.last("thory")).isEmpty();
  }

  @Test
  void aReportNotSentAfterTheLastAcceptedIsAReplayAndChangesNothing() {
    List<String> told = new ArrayList<>();
    registry.report("dijon", report("2026-12-02T10:00:04Z"));
    registry.onReport(told::add);
    assertThat(registry.report("dijon", report("2026-12-02T10:00:04Z")))
        .isEqualTo(AgentRegistry.Outcome.REPLAYED);
    assertThat(registry.report("dijon", report("2026-12-02T09:00:00Z")))
        .isEqualTo(AgentRegistry.Outcome.REPLAYED);
    assertThat(registry.last("dijon").orElseThrow().report().sentAt())
        .isEqualTo(Instant.parse("2026-12-02T10:00:04Z"));
    assertThat(told).isEmpty();
  }

  @Test
  void problemsNameTheFieldAndTheFix() {
    assertThat(AgentRegistry.problems(null)).singleElement().asString().contains("empty");
    AgentReport bad =
        new AgentReport(
            "0.2.0",
            "x",
            "h",
            null,
            Duration.ofMillis(10),
            Collections.nCopies(
                AgentReport.MAX_CONTAINERS + 1,
                new AgentReport.ContainerSeen("i", "n", "running", "none", null, null)));
    assertThat(AgentRegistry.problems(bad))
        .hasSize(3)
        .anySatisfy(p -> assertThat(p).startsWith("sentAt: required"))
        .anySatisfy(p -> assertThat(p).startsWith("interval: between PT1S and PT5M"))
        .anySatisfy(p -> assertThat(p).contains("at most " + AgentReport.MAX_CONTAINERS));
    assertThat(AgentRegistry.problems(report("2026-12-02T10:00:00Z"))).isEmpty();
  }

  private static AgentReport withReplicas(String sentAt, List<ReplicaReport> replicas) {
    return new AgentReport(
        "0.2.0",
        "20.10.24",
        "dijon-docker",
        Instant.parse(sentAt),
        Duration.ofSeconds(5),
        List.of(),
        replicas);
  }

  @Test
  void theReplicasOfASitesLastReportAreKeptByName() {
    ReplicaReport missing =
        new ReplicaReport(
            "api-r1-2", ReplicaReport.State.FAILED, ReplicaReport.IMAGE_NOT_FOUND, "import it");
    registry.report(
        "dijon",
        withReplicas(
            "2026-12-02T10:00:00Z",
            List.of(new ReplicaReport("api-r1-1", ReplicaReport.State.RUNNING, null, null))));
    registry.report(
        "dijon",
        withReplicas(
            "2026-12-02T10:00:05Z",
            List.of(
                missing, new ReplicaReport("api-r1-3", ReplicaReport.State.STARTING, null, null))));

    assertThat(registry.replicas("dijon")).containsOnlyKeys("api-r1-2", "api-r1-3");
    assertThat(registry.replicas("dijon").get("api-r1-2")).isEqualTo(missing);
    assertThat(registry.replicas("thory")).isEmpty();
    registry.report("thory", report("2026-12-02T10:00:00Z"));
    assertThat(registry.replicas("thory")).isEmpty();
  }

  @Test
  void replicaProblemsNameTheEntryAndTheFix() {
    List<ReplicaReport> bad =
        java.util.Arrays.asList(
            new ReplicaReport("Not A Name", ReplicaReport.State.RUNNING, null, null),
            new ReplicaReport("api-r1-1", null, null, null),
            new ReplicaReport("api-r1-2", ReplicaReport.State.FAILED, "no such thing!", null),
            null);
    assertThat(AgentRegistry.problems(withReplicas("2026-12-02T10:00:00Z", bad)))
        .containsExactly(
            "replicas[0].name: required, a resource name (lower-case letters, digits and '-')",
            "replicas[1].state: required, one of Running, Starting, Failed, Stopped",
            "replicas[2].reason: one CamelCase word of at most 64 letters, e.g. ImageNotFound",
            "replicas[3].name: required, a resource name (lower-case letters, digits and '-')");
    assertThat(
            AgentRegistry.problems(
                withReplicas(
                    "2026-12-02T10:00:00Z",
                    Collections.nCopies(
                        AgentReport.MAX_REPLICAS + 1,
                        new ReplicaReport("a", ReplicaReport.State.RUNNING, null, null)))))
        .containsExactly("replicas: 501 entries, at most " + AgentReport.MAX_REPLICAS);
  }

  @Test
  void aLongMessageIsCutToTheLimit() {
    ReplicaReport r =
        new ReplicaReport(
            "a",
            ReplicaReport.State.FAILED,
            "CreateFailed",
            "x".repeat(ReplicaReport.MAX_MESSAGE * 2));
    assertThat(r.message()).hasSize(ReplicaReport.MAX_MESSAGE).endsWith("…");
  }
}
