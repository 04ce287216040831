package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.config.EnvDefaults;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code sbctl run} in this JVM on another thread, for the ITs that drive a real hub through its
 * API: the options are read as on the command line but without the environment (the test's own
 * settings only), and {@link #stop} ends the run as SIGTERM does. Readiness is each test's to wait
 * for: they do not all wait for the same thing.
 */
final class InProcessRun {
  @Command
  static final class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  private final CountDownLatch stop = new CountDownLatch(1);
  private final CompletableFuture<Integer> exit;

  private InProcessRun(SwitchboardConfig config) {
    exit =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return Switchboard.run(config, stop, new CountDownLatch(1));
              } catch (InterruptedException e) {
                return -1;
              }
            });
  }

  /** Starts {@code sbctl run ARGS}; the options must be valid. */
  static InProcessRun start(String... args) {
    Holder holder = new Holder();
    new CommandLine(holder).setDefaultValueProvider(new EnvDefaults(name -> null)).parseArgs(args);
    assertThat(holder.config.problems()).isEmpty();
    return new InProcessRun(holder.config);
  }

  /**
   * Asks the run to stop (again is harmless) and waits at most {@code within} for its exit code.
   */
  int stop(Duration within) throws Exception {
    stop.countDown();
    return exit.get(within.toMillis(), TimeUnit.MILLISECONDS);
  }
}
