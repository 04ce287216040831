package fr.acecinema.switchboard.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs real processes through {@code sh -c} standing in for {@code wg}. */
class WireGuardReaderTest {
  @TempDir Path dir;

  private static WireGuardReader shell(String script, Duration timeout) {
    // "$@" receives "show IF dump": the script records it so the test can check the arguments.
    return new WireGuardReader(List.of("sh", "-c", script, "wg"), timeout);
  }

  @Test
  void runsShowIfaceDumpAndParsesTheOutput() throws Exception {
    Path out = dir.resolve("dump");
    Path args = dir.resolve("args");
    Files.writeString(out, WgDumpTest.HUB_DUMP);

    WgDump dump =
        shell("echo \"$@\" > " + args + "; cat " + out, Duration.ofSeconds(5)).dump("sbtbwg-hub");

    assertThat(dump.peers()).hasSize(2);
    assertThat(Files.readString(args).strip()).isEqualTo("show sbtbwg-hub dump");
  }

  @Test
  void aNonZeroExitCarriesWgsMessage() {
    WireGuardReader reader =
        shell(
            "echo 'Unable to access interface: Protocol not supported' >&2; exit 1",
            Duration.ofSeconds(5));

    assertThatThrownBy(() -> reader.dump("wg9"))
        .isInstanceOf(WireGuardException.class)
        .hasMessageContaining("exited with 1")
        .hasMessageContaining("Protocol not supported");
  }

  @Test
  void aHangingWgIsKilledAfterTheTimeout() {
    WireGuardReader reader = shell("sleep 10", Duration.ofMillis(300));
    long start = System.nanoTime();

    assertThatThrownBy(() -> reader.dump("wg0"))
        .isInstanceOf(WireGuardException.class)
        .hasMessageContaining("did not finish within 300 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aMissingCommandIsReportedNotThrownRaw() {
    WireGuardReader reader = new WireGuardReader(List.of("/nonexistent/wg"), Duration.ofSeconds(1));

    assertThatThrownBy(() -> reader.dump("wg0"))
        .isInstanceOf(WireGuardException.class)
        .hasMessageContaining("cannot run /nonexistent/wg");
  }

  @Test
  void unreadableOutputIsAWireGuardException() {
    assertThatThrownBy(() -> shell("echo garbage", Duration.ofSeconds(5)).dump("wg0"))
        .isInstanceOf(WireGuardException.class)
        .hasMessageContaining("expected 4");
  }
}
