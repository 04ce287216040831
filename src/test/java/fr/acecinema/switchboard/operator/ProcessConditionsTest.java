package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.reconciler.RoutingState;
import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessConditionsTest {
  private static RoutingState.Snapshot snapshot(Outcome outcome, String error) {
    return new RoutingState.Snapshot(outcome, "0123456789ab", error, Map.of());
  }

  @Test
  void readyFollowsTheInitialScanAndTurnsFalseWhileStopping() {
    assertThat(ProcessConditions.ready(false, false).reason)
        .isEqualTo(ProcessConditions.INITIAL_SCAN_PENDING);
    assertThat(ProcessConditions.ready(true, false).isTrue()).isTrue();
    Condition stopping = ProcessConditions.ready(true, true);
    assertThat(stopping.status).isEqualTo(Condition.FALSE);
    assertThat(stopping.reason).isEqualTo(ProcessConditions.STOPPING);
  }

  @Test
  void routedIsUnknownBeforeTheRoutersFirstAttempt() {
    Condition c = ProcessConditions.routed(null);
    assertThat(c.type).isEqualTo("Routed");
    assertThat(c.status).isEqualTo(Condition.UNKNOWN);
    assertThat(c.reason).isEqualTo("RoutingPending");
  }

  @Test
  void routedIsTrueWhenCaddyRunsTheDesiredRevision() {
    Condition pushed = ProcessConditions.routed(snapshot(Outcome.PUSHED, null));
    assertThat(pushed.isTrue()).isTrue();
    assertThat(pushed.reason).isEqualTo("Pushed");
    assertThat(pushed.message).contains("0123456789ab");
    Condition inSync = ProcessConditions.routed(snapshot(Outcome.IN_SYNC, null));
    assertThat(inSync.isTrue()).isTrue();
    assertThat(inSync.reason).isEqualTo("InSync");
  }

  @Test
  void routedIsFalseWithCaddysWordsWhenUnreachableOrRejected() {
    Condition down = ProcessConditions.routed(snapshot(Outcome.UNREACHABLE, "connection refused"));
    assertThat(down.status).isEqualTo(Condition.FALSE);
    assertThat(down.reason).isEqualTo("CaddyUnreachable");
    assertThat(down.message).contains("connection refused");
    Condition refused = ProcessConditions.routed(snapshot(Outcome.REJECTED, "bad upstream"));
    assertThat(refused.status).isEqualTo(Condition.FALSE);
    assertThat(refused.reason).isEqualTo("CaddyRejected");
    assertThat(refused.message).contains("bad upstream").contains("previous config");
  }
}
