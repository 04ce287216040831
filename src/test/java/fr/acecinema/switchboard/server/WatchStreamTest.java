package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WatchStreamTest {
  @Test
  void aWatchIsKeptAtMostAnHourWhateverTimeoutSecondsAsks() {
    assertThat(WatchStream.timeoutSeconds("999999")).isEqualTo(3600);
    assertThat(WatchStream.timeoutSeconds("99999999999999")).isEqualTo(3600);
    assertThat(WatchStream.timeoutSeconds("60")).isEqualTo(60);
    assertThat(WatchStream.timeoutSeconds("0")).isEqualTo(1);
    assertThat(WatchStream.timeoutSeconds(null)).isEqualTo(1800);
    assertThat(WatchStream.timeoutSeconds("-5")).isEqualTo(1800);
  }
}
