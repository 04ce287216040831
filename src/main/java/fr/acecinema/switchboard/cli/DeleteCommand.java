package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl delete KIND/NAME}. */
@Command(
    name = "delete",
    description = "Remove a resource's declaration from the watched directory.")
final class DeleteCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Mixin ResourceArgument resource;

  @Override
  public Integer call() throws Exception {
    ResourceKey key = resource.key();
    root.setUpLogging(false);
    FleetAccess fleets = root.fleets();
    if (!fleets.writer(root.config()).delete(key)) {
      return resource.notFound(key, fleets.view(root.config()).where());
    }
    spec.commandLine().getOut().println(ResourceRef.display(key) + " deleted");
    return Sbctl.OK;
  }
}
