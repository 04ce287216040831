package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.RecordItems;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl rollout history deployment/NAME [--revision N]}: a Deployment's revisions from the
 * records ({@code deployment_revisions}), as kubectl's. The resource's status keeps only the
 * current and the previous revision, so the history needs the records plane.
 */
@Command(
    name = "history",
    description =
        "List a Deployment's revisions recorded in PostgreSQL (revision, image, state, age, what"
            + " changed), oldest first; --revision N shows one template in full.")
final class RolloutHistoryCommand implements Callable<Integer> {
  @ParentCommand RolloutCommand parent;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..2", paramLabel = "deployment/NAME", description = "e.g. deploy/api.")
  List<String> resource;

  @Option(
      names = "--revision",
      paramLabel = "N",
      description = "Show this revision's template in full: image, port, env, primaryEnv.")
  Integer revision;

  @Option(
      names = "--limit",
      defaultValue = "50",
      paramLabel = "N",
      description = "Latest revisions shown.")
  int limit;

  @Override
  public Integer call() throws Exception {
    ResourceKey key = RolloutCommand.deployment(spec, resource, "rollout history");
    Sbctl root = parent.root;
    requireRecords(root, key, "rollout history");
    try {
      return RecordsAccess.print(
          root,
          spec,
          (records, clock) -> {
            if (revision == null) {
              return RecordsPrinter.rollouts(
                  key.name(), records.rollouts(key.name(), Math.max(1, limit)), clock.instant());
            }
            return RecordsPrinter.rollout(
                recorded(records.rollouts(key.name(), RecordItems.MAX_LIMIT), key, revision),
                clock.instant());
          });
    } catch (IOException e) {
      throw new IOException(e.getMessage() + "; " + describeHint(key), e);
    }
  }

  /** Revision {@code n} among {@code revisions}; an exception listing the known ones otherwise. */
  static DeploymentRevision recorded(List<DeploymentRevision> revisions, ResourceKey key, int n) {
    return revisions.stream()
        .filter(r -> r.revision() == n)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "deployment \""
                        + key.name()
                        + "\" has no revision "
                        + n
                        + " recorded; "
                        + (revisions.isEmpty()
                            ? "none is recorded"
                            : "known: "
                                + String.join(
                                    ", ",
                                    revisions.reversed().stream()
                                        .map(r -> Integer.toString(r.revision()))
                                        .toList()))));
  }

  /**
   * Refuses with a message saying what to do when this process keeps no records (locally: {@code
   * --records off}; remotely, the server decides and says so itself).
   */
  static void requireRecords(Sbctl root, ResourceKey key, String command) {
    if (root.config().server().isEmpty() && !root.config().records()) {
      throw new IllegalStateException(
          command
              + " needs the records plane (PostgreSQL), and records are off (--records off /"
              + " SWITCHBOARD_RECORDS=off); "
              + describeHint(key));
    }
  }

  static String describeHint(ResourceKey key) {
    return "sbctl describe "
        + ResourceRef.display(key)
        + " shows the current and previous revisions (status.current, status.previous)";
  }
}
