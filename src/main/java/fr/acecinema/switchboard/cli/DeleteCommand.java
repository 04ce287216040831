package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl delete KIND/NAME}. */
@Command(
    name = "delete",
    description = "Remove a resource's declaration from the watched directory.")
final class DeleteCommand implements Callable<Integer> {
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
    FleetAccess fleets = root.fleets();
    if (!fleets.writer(root.config()).delete(key)) {
      spec.commandLine()
          .getErr()
          .println(
              "error: "
                  + ResourceRef.display(key)
                  + " not found in "
                  + fleets.view(root.config()).where());
      return Sbctl.FAILURE;
    }
    spec.commandLine().getOut().println(ResourceRef.display(key) + " deleted");
    return Sbctl.OK;
  }
}
