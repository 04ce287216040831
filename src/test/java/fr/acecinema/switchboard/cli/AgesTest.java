package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgesTest {
  @Test
  void formatsLikeKubectl() {
    assertThat(Ages.format(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(Ages.format(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Ages.format(Duration.ofSeconds(192))).isEqualTo("3m12s");
    assertThat(Ages.format(Duration.ofMinutes(42))).isEqualTo("42m");
    assertThat(Ages.format(Duration.ofMinutes(5 * 60 + 7))).isEqualTo("5h7m");
    assertThat(Ages.format(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(Ages.format(Duration.ofHours(3 * 24 + 4))).isEqualTo("3d4h");
    assertThat(Ages.format(Duration.ofDays(40))).isEqualTo("40d");
    assertThat(Ages.format(Duration.ofDays(800))).isEqualTo("2y70d");
  }

  @Test
  void clockSkewPrintsZero() {
    assertThat(Ages.format(Duration.ofSeconds(-5))).isEqualTo("0s");
  }

  @Test
  void malformedTimestampIsUnknown() {
    assertThat(Ages.parse("yesterday")).isNull();
    assertThat(Ages.of(null, Rows.NOW)).isEqualTo("<unknown>");
  }
}
