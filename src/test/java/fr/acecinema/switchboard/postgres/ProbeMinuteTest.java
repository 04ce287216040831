package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProbeMinuteTest {
  @Test
  void truncatesToTheMinuteAndFoldsSamples() {
    ProbeMinute m =
        ProbeMinute.empty("b", Instant.parse("2025-01-01T10:00:42.5Z"))
            .plus(true, 5)
            .plus(true, 6)
            .plus(false, 999)
            .plus(true, 10_000);
    assertThat(m.minute()).isEqualTo(Instant.parse("2025-01-01T10:00:00Z"));
    assertThat(m.probes()).isEqualTo(4);
    assertThat(m.failures()).isEqualTo(1);
    assertThat(m.latencySumMs()).isEqualTo(10_011);
    assertThat(m.latencyMaxMs()).isEqualTo(10_000);
    assertThat(m.latencyBuckets()).containsExactly(1, 1, 0, 0, 0, 0, 0, 0, 0, 1);
  }

  @Test
  void putsBucketBoundsInTheLowerBucket() {
    assertThat(ProbeMinute.bucketOf(0)).isZero();
    assertThat(ProbeMinute.bucketOf(5)).isZero();
    assertThat(ProbeMinute.bucketOf(6)).isEqualTo(1);
    assertThat(ProbeMinute.bucketOf(2500)).isEqualTo(8);
    assertThat(ProbeMinute.bucketOf(2501)).isEqualTo(9);
  }

  @Test
  void rejectsMoreFailuresThanProbesAndWrongBucketCounts() {
    assertThatThrownBy(() -> new ProbeMinute("b", Instant.EPOCH, 1, 2, 0, 0, new int[10]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ProbeMinute("b", Instant.EPOCH, 1, 0, 0, 0, new int[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10");
  }
}
