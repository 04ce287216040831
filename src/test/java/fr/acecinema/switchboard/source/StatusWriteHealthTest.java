package fr.acecinema.switchboard.source;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.testing.MutableClock;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StatusWriteHealthTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
  private final StatusWriteHealth health =
      new StatusWriteHealth(clock, java.time.Duration.ofSeconds(30));

  private void advance(Duration d) {
    clock.advance(d);
  }

  @Test
  void aFileWhoseWritesAllFailForThirtySecondsTurnsTheConditionFalseNamingItAndTheFix() {
    health.failed("fleet/api.yaml", new AccessDeniedException("fleet/api.yaml"));
    advance(Duration.ofSeconds(29));
    health.failed("fleet/api.yaml", new AccessDeniedException("fleet/api.yaml"));
    assertThat(health.condition().status).isEqualTo(Condition.TRUE);

    advance(Duration.ofSeconds(1));
    Condition c = health.condition();
    assertThat(c.type).isEqualTo("StatusWritten");
    assertThat(c.status).isEqualTo(Condition.FALSE);
    assertThat(c.reason).isEqualTo("StatusWriteFailing");
    assertThat(c.message)
        .contains("1 file(s)", "30 s", "fleet/api.yaml", "AccessDeniedException", "writable by");
  }

  @Test
  void oneSuccessfulWriteClearsTheFileAndFailuresElsewhereCountFromTheirOwnStart() {
    health.failed("a.yaml", new AccessDeniedException("a.yaml"));
    advance(Duration.ofSeconds(40));
    assertThat(health.condition().status).isEqualTo(Condition.FALSE);

    health.succeeded("a.yaml");
    health.failed("b.yaml", new AccessDeniedException("b.yaml"));
    assertThat(health.condition().status).isEqualTo(Condition.TRUE);
    advance(Duration.ofSeconds(30));
    assertThat(health.condition().message).contains("b.yaml").doesNotContain("a.yaml");
  }
}
