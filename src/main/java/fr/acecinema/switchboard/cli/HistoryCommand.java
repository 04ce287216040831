package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl history backend/NAME}: a backend's health transitions from the records. */
@Command(
    name = "history",
    description =
        "Show a backend's health transitions (time, from, to, reason, probe latency) recorded in"
            + " PostgreSQL.")
final class HistoryCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..2", paramLabel = "backend/NAME", description = "e.g. backend/api-dijon.")
  List<String> resource;

  @Option(
      names = "--limit",
      defaultValue = "50",
      paramLabel = "N",
      description = "Latest transitions shown.")
  int limit;

  @Override
  public Integer call() throws Exception {
    ResourceKey key = ResourceRef.parse(spec, resource);
    if (!key.kind().equals("Backend")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "history is kept for backends only; use sbctl events "
              + ResourceRef.display(key)
              + " for other kinds");
    }
    return RecordsAccess.print(
        root,
        spec,
        (records, clock) ->
            RecordsPrinter.history(
                records.history(key.name(), Math.max(1, limit)), clock.instant()));
  }
}
