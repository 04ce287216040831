package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.testing.MutableClock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TransitionTimesTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2025-03-01T10:00:00Z"));
  private final TransitionTimes times = new TransitionTimes(clock);

  private static Condition routed(String status, String reason, String message) {
    return new Condition("Routed", status, reason, message);
  }

  @Test
  void keepsTheTimeWhileStatusAndReasonStayAndMovesItOnAChange() {
    Condition first = times.stamp(routed("False", "CaddyUnreachable", "refused"));
    assertThat(first.lastTransitionTime).isEqualTo("2025-03-01T10:00:00Z");
    clock.set(Instant.parse("2025-03-01T10:05:00Z"));
    Condition again = times.stamp(routed("False", "CaddyUnreachable", "timed out"));
    assertThat(again.lastTransitionTime).isEqualTo("2025-03-01T10:00:00Z");
    assertThat(again.message).isEqualTo("timed out");
    clock.set(Instant.parse("2025-03-01T10:07:30Z"));
    Condition back = times.stamp(routed("True", "Pushed", "revision a"));
    assertThat(back.lastTransitionTime).isEqualTo("2025-03-01T10:07:30Z");
  }

  @Test
  void tracksEachTypeOnItsOwn() {
    times.stamp(routed("True", "Pushed", "a"));
    clock.set(Instant.parse("2025-03-01T11:00:00Z"));
    Condition ready = times.stamp(new Condition("Ready", "True", "InitialScanDone", "ok"));
    assertThat(ready.lastTransitionTime).isEqualTo("2025-03-01T11:00:00Z");
    assertThat(times.stamp(routed("True", "Pushed", "a")).lastTransitionTime)
        .isEqualTo("2025-03-01T10:00:00Z");
  }
}
