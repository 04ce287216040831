package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl events [KIND/NAME]}: deduplicated events, like {@code kubectl get events}. */
@Command(
    name = "events",
    description =
        "Show events (Normal/Warning, reason, count, last seen) of every resource or of one.")
final class EventsCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..2",
      paramLabel = "KIND/NAME",
      description = "e.g. backend/api-dijon; all resources when absent.")
  List<String> resource;

  @Option(
      names = "--limit",
      defaultValue = "100",
      paramLabel = "N",
      description = "Most recently seen events shown.")
  int limit;

  @Override
  public Integer call() throws Exception {
    ResourceKey key =
        resource == null || resource.isEmpty() ? null : ResourceRef.parse(spec, resource);
    return RecordsAccess.print(
        root,
        spec,
        (records, clock) ->
            RecordsPrinter.events(
                records.events(
                    key == null ? null : key.kind(),
                    key == null ? null : key.name(),
                    Math.max(1, limit)),
                clock.instant(),
                true));
  }
}
