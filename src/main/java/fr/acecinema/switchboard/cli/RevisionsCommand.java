package fr.acecinema.switchboard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl revisions}: the configurations pushed to Caddy, newest first. */
@Command(
    name = "revisions",
    description = "Show the configurations pushed to Caddy (hash, time, result, error).")
final class RevisionsCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Option(
      names = "--limit",
      defaultValue = "20",
      paramLabel = "N",
      description = "Latest revisions shown.")
  int limit;

  @Override
  public Integer call() throws Exception {
    return RecordsAccess.print(
        root,
        spec,
        (records, clock) ->
            RecordsPrinter.revisions(records.revisions(Math.max(1, limit)), clock.instant()));
  }
}
