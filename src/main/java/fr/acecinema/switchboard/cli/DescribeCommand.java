package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.ResourceRow;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl describe KIND/NAME}. */
@Command(
    name = "describe",
    description = "Show one resource: source file and line, spec, status and conditions.")
final class DescribeCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Mixin ResourceArgument resource;

  @Override
  public Integer call() throws Exception {
    ResourceKey key = resource.key();
    root.setUpLogging(false);
    FleetView view = root.fleets().view(root.config());
    Optional<ResourceRow> row = find(view, key);
    if (row.isEmpty()) {
      return resource.notFound(key, view.where());
    }
    spec.commandLine().getOut().print(Printer.describe(row.get(), root.clock().instant()));
    spec.commandLine().getOut().print(events(key));
    spec.commandLine().getOut().flush();
    return Sbctl.OK;
  }

  /**
   * kubectl's Events section. Records are optional for describe: when the database cannot be
   * reached the section says why and the command still succeeds.
   */
  private String events(ResourceKey key) {
    // Remotely, whether records are kept is the server's setting, not this process's.
    if (root.config().server().isEmpty() && !root.config().records()) {
      return "Events:\n  <records are off>\n";
    }
    try (RecordsReader records = RecordsAccess.reader(root.config())) {
      var rows = records.events(key.kind(), key.name(), 10);
      if (rows.isEmpty()) {
        return "Events:\n  <none>\n";
      }
      return "Events:\n" + RecordsPrinter.events(rows, root.clock().instant(), false).indent(2);
    } catch (IOException | RuntimeException e) {
      return "Events:\n  <unavailable: " + e.getMessage() + ">\n";
    }
  }

  /**
   * {@link #find} as the pollers of {@code wait} and {@code rollout status} read it again and
   * again.
   */
  static java.util.function.Supplier<Optional<ResourceRow>> finder(
      FleetView view, ResourceKey key) {
    return () -> {
      try {
        return find(view, key);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  static Optional<ResourceRow> find(FleetView view, ResourceKey key) throws java.io.IOException {
    List<ResourceRow> matches =
        view.list().stream().filter(r -> r.key().filter(key::equals).isPresent()).toList();
    // An accepted declaration wins over a rejected duplicate of the same name.
    return matches.stream()
        .filter(r -> !r.rejected())
        .findFirst()
        .or(() -> matches.stream().findFirst());
  }
}
