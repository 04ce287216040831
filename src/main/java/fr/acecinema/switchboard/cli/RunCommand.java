package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl run}: checks the configuration, sets up logging and signals, and hands over to the
 * composition root ({@link Switchboard#run}), which blocks until SIGTERM or SIGINT, on which
 * in-flight writes finish and the process exits 0.
 */
@Command(
    name = "run",
    description =
        "Run the control plane: watch the manifests, probe, route, record; serve /healthz and"
            + " /readyz, /metrics and the API. Stops cleanly on SIGTERM.")
final class RunCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SwitchboardConfig config = root.config();
    List<String> problems = config.problems();
    if (!problems.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), String.join("\n       ", problems));
    }
    root.setUpLogging(true);
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch hurry = new CountDownLatch(1);
    // The first signal starts the stop; a second one (Ctrl-C twice) cuts the grace period short.
    Signals.onTermination(
        () -> {
          if (stop.getCount() == 0) {
            hurry.countDown();
          }
          stop.countDown();
        });
    return Switchboard.run(config, stop, hurry);
  }
}
