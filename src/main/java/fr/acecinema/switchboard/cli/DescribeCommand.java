package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.runtime.ResourceKey;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl describe KIND/NAME}. */
@Command(
    name = "describe",
    description = "Show one resource: source file and line, spec, status and conditions.")
final class DescribeCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(
      arity = "1..2",
      paramLabel = "KIND/NAME",
      description = "e.g. backend/api-dijon or backend api-dijon.")
  List<String> resource;

  @Override
  public Integer call() throws Exception {
    ResourceKey key = ResourceRef.parse(spec, resource);
    root.setUpLogging(false);
    Optional<ResourceRow> row = find(root.wiring("read manifests").view(root.config()), key);
    if (row.isEmpty()) {
      spec.commandLine()
          .getErr()
          .println(
              "error: " + ResourceRef.display(key) + " not found in " + root.config().manifests());
      return Sbctl.FAILURE;
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
    if (!root.config().records()) {
      return "Events:\n  <records are off>\n";
    }
    try (Database db = RecordsAccess.open(root.config())) {
      var rows = new RecordsRepository(db).events(key.kind(), key.name(), 10);
      if (rows.isEmpty()) {
        return "Events:\n  <none>\n";
      }
      return "Events:\n" + RecordsPrinter.events(rows, root.clock().instant(), false).indent(2);
    } catch (IOException | RuntimeException e) {
      return "Events:\n  <unavailable: " + e.getMessage() + ">\n";
    }
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
