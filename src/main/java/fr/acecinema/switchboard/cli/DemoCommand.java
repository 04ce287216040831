package fr.acecinema.switchboard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl demo}. */
@Command(
    name = "demo",
    description =
        "Run a self-contained tour on 127.0.0.x: two sites, a service and two backends; one"
            + " backend dies and comes back while the statuses in the manifests follow.")
final class DemoCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Option(
      names = "--keep-running",
      description =
          "After the tour, keep the fleet, Caddy and the dashboard up until Enter is pressed.")
  boolean keepRunning;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    return root.fleets()
        .demo()
        .run(root.config(), spec.commandLine().getOut(), spec.commandLine().getErr(), keepRunning);
  }
}
