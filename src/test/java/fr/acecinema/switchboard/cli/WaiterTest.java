package fr.acecinema.switchboard.cli;

import static fr.acecinema.switchboard.cli.Rows.backend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ResourceRow;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class WaiterTest {
  private static final ResourceKey KEY = new ResourceKey("Backend", "api-dijon");

  /** A clock that only moves when the waiter sleeps. */
  static final class FakeTicker implements Waiter.Ticker {
    long now;
    Duration slept = Duration.ZERO;

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleep(Duration d) {
      now += d.toNanos();
      slept = slept.plus(d);
    }
  }

  private final FakeTicker ticker = new FakeTicker();

  private static Supplier<Optional<ResourceRow>> sequence(List<Optional<ResourceRow>> states) {
    Deque<Optional<ResourceRow>> queue = new ArrayDeque<>(states);
    return () -> queue.size() > 1 ? queue.poll() : queue.peek();
  }

  private Waiter.Result await(Supplier<Optional<ResourceRow>> states, String forSpec) {
    return Waiter.await(
        KEY, states, Waiter.parse(forSpec), Duration.ofSeconds(10), Duration.ofMillis(500), ticker);
  }

  @Test
  void succeedsOnceReadyIsTrueForTheCurrentGeneration() {
    Waiter.Result r =
        await(
            sequence(
                List.of(
                    Optional.empty(),
                    Optional.of(backend("api-dijon", 2, "False", "ProbePending", 2)),
                    Optional.of(backend("api-dijon", 2, "True", "ProbeSucceeded", 2)))),
            "condition=Ready");
    assertThat(r.exitCode()).isZero();
    assertThat(r.polls()).isEqualTo(3);
    assertThat(r.message()).isEqualTo("backend/api-dijon condition met");
  }

  @Test
  void ignoresReadyComputedForAnOlderGeneration() {
    Waiter.Result r =
        await(
            sequence(List.of(Optional.of(backend("api-dijon", 3, "True", "ProbeSucceeded", 2)))),
            "condition=Ready");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.message())
        .startsWith(
            "timed out after 10s waiting for condition Ready=True on backend/api-dijon; last seen: Ready=True (ProbeSucceeded)")
        .contains("computed for generation 2, the manifest is at generation 3");
    assertThat(ticker.slept).isEqualTo(Duration.ofSeconds(10));
    assertThat(r.polls()).isEqualTo(21);
  }

  @Test
  void timesOutWithTheLastSeenReasonAndMessage() {
    Waiter.Result r =
        await(
            sequence(List.of(Optional.of(backend("api-dijon", 1, "False", "ProbeFailed", 1)))),
            "condition=Ready");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.message()).endsWith("last seen: Ready=False (ProbeFailed): probe said so");
  }

  @Test
  void waitsForAnExplicitFalseStatus() {
    Waiter.Result r =
        await(
            sequence(List.of(Optional.of(backend("api-dijon", 1, "False", "Draining", 1)))),
            "condition=Ready=false");
    assertThat(r.exitCode()).isZero();
  }

  @Test
  void waitsForDeletion() {
    Waiter.Result r =
        await(
            sequence(
                List.of(
                    Optional.of(backend("api-dijon", 1, "True", "ProbeSucceeded", 1)),
                    Optional.empty())),
            "delete");
    assertThat(r.exitCode()).isZero();
    assertThat(r.message()).isEqualTo("backend/api-dijon deleted");
    assertThat(r.polls()).isEqualTo(2);
  }

  @Test
  void keepsPollingWhenReadingFails() {
    int[] calls = {0};
    Waiter.Result r =
        await(
            () -> {
              if (calls[0]++ == 0) {
                throw new IllegalStateException("file is being replaced");
              }
              return Optional.of(backend("api-dijon", 1, "True", "ProbeSucceeded", 1));
            },
            "condition=Ready");
    assertThat(r.exitCode()).isZero();
    assertThat(r.polls()).isEqualTo(2);
  }

  @Test
  void reportsRejectedManifestWhileWaiting() {
    ResourceRow rejected =
        new ResourceRow(
            "Backend",
            "api-dijon",
            null,
            1,
            null,
            null,
            null,
            "InvalidSpec",
            "spec.port: 70000 is above 65535");
    Waiter.Result r = await(sequence(List.of(Optional.of(rejected))), "condition=Ready");
    assertThat(r.message())
        .endsWith("last seen: rejected (InvalidSpec): spec.port: 70000 is above 65535");
  }

  @Test
  void parsesForSpecs() {
    assertThat(Waiter.parse("condition=Ready")).isEqualTo(new Waiter.ConditionIs("Ready", "True"));
    assertThat(Waiter.parse("condition=Healthy=Unknown"))
        .isEqualTo(new Waiter.ConditionIs("Healthy", "Unknown"));
    assertThat(Waiter.parse("delete")).isEqualTo(new Waiter.Deleted());
    assertThatThrownBy(() -> Waiter.parse("Ready")).hasMessageContaining("--for=condition=Ready");
    assertThatThrownBy(() -> Waiter.parse("condition=Ready=maybe"))
        .hasMessageContaining("True, False or Unknown");
    assertThatThrownBy(() -> Waiter.parse("condition=")).hasMessageContaining("--for=delete");
  }
}
