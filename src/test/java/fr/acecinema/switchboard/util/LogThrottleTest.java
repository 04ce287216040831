package fr.acecinema.switchboard.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  /** A clock the test moves by hand. */
  private static final class Hand implements InstantSource {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void logsTheFirstOccurrencePerKeyAndPeriodThenOneLineWithTheCount() {
    Hand clock = new Hand();
    LogThrottle throttle = new LogThrottle(Duration.ofMinutes(1), clock);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      throttle.occurred("10.0.0.9", n -> lines.add("a" + LogThrottle.more(n)));
      throttle.occurred("10.0.0.7", n -> lines.add("b" + LogThrottle.more(n)));
    }
    assertThat(lines).containsExactly("a", "b");
    clock.now = clock.now.plusSeconds(59);
    throttle.occurred("10.0.0.9", n -> lines.add("a" + LogThrottle.more(n)));
    assertThat(lines).hasSize(2);
    clock.now = clock.now.plusSeconds(1);
    throttle.occurred("10.0.0.9", n -> lines.add("a" + LogThrottle.more(n)));
    assertThat(lines).containsExactly("a", "b", "a (and 500 more since the last line)");
  }

  @Test
  void aResetKeyIsLoggedAtItsNextOccurrence() {
    LogThrottle throttle = new LogThrottle(Duration.ofMinutes(1), new Hand());
    List<Long> lines = new ArrayList<>();
    throttle.occurred("f.yaml", lines::add);
    throttle.occurred("f.yaml", lines::add);
    throttle.reset("f.yaml");
    throttle.occurred("f.yaml", lines::add);
    assertThat(lines).containsExactly(0L, 0L);
  }
}
