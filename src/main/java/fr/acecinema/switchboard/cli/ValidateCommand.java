package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.FleetWriter;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl validate -f PATH}: the checks of apply, without writing. */
@Command(
    name = "validate",
    description = "Check manifest files as apply would, without writing anything.")
final class ValidateCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Mixin ManifestArgument manifests;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    FleetWriter writer = root.fleets().writer(root.config());
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    int invalid = 0;
    for (ManifestFiles.ManifestFile f : manifests.read()) {
      FleetWriter.Check check = writer.check(f.name(), f.text());
      if (check.valid()) {
        out.println(
            f.path()
                + ": valid ("
                + check.declares().stream()
                    .map(ResourceRef::display)
                    .collect(Collectors.joining(", "))
                + ")");
      } else {
        invalid++;
        check.problems().forEach(p -> err.println("error: " + f.path() + ": " + p));
      }
    }
    out.flush();
    err.flush();
    return invalid == 0 ? Sbctl.OK : Sbctl.FAILURE;
  }
}
