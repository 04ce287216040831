package fr.acecinema.switchboard.probe;

import static fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State.Healthy;
import static fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State.Unhealthy;
import static fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State.Unknown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthTrackerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private int tick;

  private ProbeResult ok() {
    return ProbeResult.success(5, T0.plusSeconds(++tick));
  }

  private ProbeResult fail(String error) {
    return ProbeResult.failure(7, error, T0.plusSeconds(++tick));
  }

  /** Feeds a pattern like "++-+" ('+' success, '-' failure) and returns the states after each. */
  private List<State> run(HealthTracker tracker, HealthSnapshot start, String pattern) {
    List<State> states = new ArrayList<>();
    HealthSnapshot s = start;
    for (char c : pattern.toCharArray()) {
      s = tracker.next(s, c == '+' ? ok() : fail("boom"));
      states.add(s.state());
    }
    return states;
  }

  @Test
  void firstSuccessMakesUnknownHealthyAtOnce() {
    HealthSnapshot s = new HealthTracker(3, 3).next(HealthSnapshot.unknown(), ok());
    assertThat(s.state()).isEqualTo(Healthy);
    assertThat(s.lastTransitionTime()).isEqualTo(T0.plusSeconds(1));
    assertThat(s.consecutiveSuccesses()).isEqualTo(1);
  }

  @Test
  void firstFailureMakesUnknownUnhealthyAtOnce() {
    HealthSnapshot s = new HealthTracker(3, 3).next(HealthSnapshot.unknown(), fail("refused"));
    assertThat(s.state()).isEqualTo(Unhealthy);
    assertThat(s.lastTransitionTime()).isEqualTo(T0.plusSeconds(1));
    assertThat(s.consecutiveFailures()).isEqualTo(1);
    assertThat(s.lastError()).isEqualTo("refused");
  }

  @Test
  void healthyNeedsUnhealthyThresholdFailuresInARowToFlip() {
    assertThat(run(new HealthTracker(2, 3), HealthSnapshot.unknown(), "+---"))
        .containsExactly(Healthy, Healthy, Healthy, Unhealthy);
  }

  @Test
  void unhealthyNeedsHealthyThresholdSuccessesInARowToFlip() {
    assertThat(run(new HealthTracker(3, 2), HealthSnapshot.unknown(), "-+++"))
        .containsExactly(Unhealthy, Unhealthy, Unhealthy, Healthy);
  }

  @Test
  void aSuccessBetweenFailuresResetsTheCountTowardsUnhealthy() {
    assertThat(run(new HealthTracker(2, 2), HealthSnapshot.unknown(), "+-+-+-"))
        .containsOnly(Healthy);
  }

  @Test
  void aFailureBetweenSuccessesResetsTheCountTowardsHealthy() {
    assertThat(run(new HealthTracker(2, 2), HealthSnapshot.unknown(), "-+-+-+"))
        .containsOnly(Unhealthy);
  }

  @Test
  void thresholdOfOneFollowsEveryResult() {
    assertThat(run(new HealthTracker(1, 1), HealthSnapshot.unknown(), "+-+--++"))
        .containsExactly(Healthy, Unhealthy, Healthy, Unhealthy, Unhealthy, Healthy, Healthy);
  }

  @ParameterizedTest(name = "healthy={0} unhealthy={1}")
  @CsvSource({"1,1", "1,5", "5,1", "2,3", "3,2", "10,10"})
  void flipsExactlyAtEachThreshold(int healthy, int unhealthy) {
    HealthTracker tracker = new HealthTracker(healthy, unhealthy);
    HealthSnapshot s = tracker.next(HealthSnapshot.unknown(), ok());
    for (int i = 1; i < unhealthy; i++) {
      s = tracker.next(s, fail("x"));
      assertThat(s.state()).as("after %d failures", i).isEqualTo(Healthy);
    }
    s = tracker.next(s, fail("x"));
    assertThat(s.state()).isEqualTo(Unhealthy);
    assertThat(s.consecutiveFailures()).isEqualTo(unhealthy);
    for (int i = 1; i < healthy; i++) {
      s = tracker.next(s, ok());
      assertThat(s.state()).as("after %d successes", i).isEqualTo(Unhealthy);
    }
    s = tracker.next(s, ok());
    assertThat(s.state()).isEqualTo(Healthy);
    assertThat(s.consecutiveSuccesses()).isEqualTo(healthy);
  }

  @Test
  void countersResetOnTheOppositeResult() {
    HealthTracker tracker = new HealthTracker(5, 5);
    HealthSnapshot s = HealthSnapshot.unknown();
    s = tracker.next(s, ok());
    s = tracker.next(s, ok());
    assertThat(s.consecutiveSuccesses()).isEqualTo(2);
    assertThat(s.consecutiveFailures()).isZero();
    s = tracker.next(s, fail("x"));
    assertThat(s.consecutiveSuccesses()).isZero();
    assertThat(s.consecutiveFailures()).isEqualTo(1);
    s = tracker.next(s, ok());
    assertThat(s.consecutiveSuccesses()).isEqualTo(1);
    assertThat(s.consecutiveFailures()).isZero();
  }

  @Test
  void transitionTimeMovesOnlyWhenStateChanges() {
    HealthTracker tracker = new HealthTracker(2, 2);
    HealthSnapshot s = tracker.next(HealthSnapshot.unknown(), ok()); // t1 -> Healthy
    s = tracker.next(s, ok()); // t2
    s = tracker.next(s, fail("x")); // t3
    assertThat(s.lastTransitionTime()).isEqualTo(T0.plusSeconds(1));
    assertThat(s.lastProbeTime()).isEqualTo(T0.plusSeconds(3));
    s = tracker.next(s, fail("y")); // t4 -> Unhealthy
    assertThat(s.lastTransitionTime()).isEqualTo(T0.plusSeconds(4));
    assertThat(s.lastProbeTime()).isEqualTo(T0.plusSeconds(4));
  }

  @Test
  void keepsLastErrorAndLatencyOfTheLatestProbeAndClearsErrorOnSuccess() {
    HealthTracker tracker = new HealthTracker(2, 2);
    HealthSnapshot s = tracker.next(HealthSnapshot.unknown(), fail("connection refused"));
    assertThat(s.lastError()).isEqualTo("connection refused");
    assertThat(s.latencyMillis()).isEqualTo(7L);
    s = tracker.next(s, fail("timed out after 1000 ms"));
    assertThat(s.lastError()).isEqualTo("timed out after 1000 ms");
    s = tracker.next(s, ok());
    assertThat(s.state()).isEqualTo(Unhealthy);
    assertThat(s.lastError()).isNull();
    assertThat(s.latencyMillis()).isEqualTo(5L);
  }

  @Test
  void doesNotChangeTheSnapshotItIsGiven() {
    HealthSnapshot before = HealthSnapshot.unknown();
    new HealthTracker(1, 1).next(before, ok());
    assertThat(before.state()).isEqualTo(Unknown);
    assertThat(before.lastProbeTime()).isNull();
  }

  @Test
  void rejectsThresholdsBelowOne() {
    assertThatThrownBy(() -> new HealthTracker(0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("healthy=0");
    assertThatThrownBy(() -> new HealthTracker(2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unhealthy=0");
  }

  @Test
  void mapsToTheBackendStatusShape() {
    HealthSnapshot s = new HealthTracker(2, 2).next(HealthSnapshot.unknown(), fail("refused"));
    BackendStatus.Health h = s.toHealth();
    assertThat(h.state).isEqualTo(Unhealthy);
    assertThat(h.lastProbeTime).isEqualTo("2026-01-01T00:00:01Z");
    assertThat(h.lastTransitionTime).isEqualTo("2026-01-01T00:00:01Z");
    assertThat(h.latencyMillis).isEqualTo(7L);
    assertThat(h.consecutiveFailures).isEqualTo(1);
    assertThat(h.lastError).isEqualTo("refused");
    BackendStatus.Health never = HealthSnapshot.unknown().toHealth();
    assertThat(never.state).isEqualTo(Unknown);
    assertThat(never.lastProbeTime).isNull();
    assertThat(never.consecutiveFailures).isNull();
  }
}
