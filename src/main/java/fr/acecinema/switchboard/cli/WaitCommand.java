package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.config.DurationConverter;
import fr.acecinema.switchboard.fleet.FleetView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl wait KIND/NAME --for=condition=Ready --timeout=60s}. */
@Command(
    name = "wait",
    description =
        "Wait until a resource's condition holds for its current generation, or until it is"
            + " deleted.")
final class WaitCommand implements Callable<Integer> {
  /** How often the manifests are re-read; statuses change at probe speed, not faster. */
  static final Duration INTERVAL = Duration.ofMillis(500);

  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..2", paramLabel = "KIND/NAME", description = "e.g. backend/api-dijon.")
  List<String> resource;

  @Option(
      names = "--for",
      paramLabel = "CONDITION",
      defaultValue = "condition=Ready",
      description = "condition=TYPE[=STATUS] (STATUS defaults to True) or delete.")
  String forSpec;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "Give up after this long, e.g. 30s or 2m.")
  Duration timeout;

  Waiter.Ticker ticker = Waiter.Ticker.SYSTEM;

  @Override
  public Integer call() {
    ResourceKey key = ResourceRef.parse(spec, resource);
    Waiter.Target target;
    try {
      target = Waiter.parse(forSpec);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    root.setUpLogging(false);
    FleetView view = root.fleets().view(root.config());
    Waiter.Result result =
        Waiter.await(key, DescribeCommand.finder(view, key), target, timeout, INTERVAL, ticker);
    (result.exitCode() == 0 ? spec.commandLine().getOut() : spec.commandLine().getErr())
        .println(result.exitCode() == 0 ? result.message() : "error: " + result.message());
    return result.exitCode();
  }
}
