package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.FleetWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl apply -f FILE|DIR}: checks every file first and writes nothing unless all are valid,
 * so a half-applied change never reaches the operator.
 */
@Command(
    name = "apply",
    description =
        "Validate manifest files and write them atomically into the watched directory; nothing is"
            + " written when any file is invalid.")
final class ApplyCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Mixin ManifestArgument manifests;

  /** Where applied manifests go. */
  enum Target {
    files,
    table
  }

  @Option(
      names = "--to",
      defaultValue = "files",
      paramLabel = "files|table",
      description =
          "files: into the watched directory; table: as rows of the resources table in PostgreSQL.")
  Target to;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    if (to == Target.table) {
      return applyToTable();
    }
    FleetWriter writer = root.fleets().writer(root.config());
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<ManifestFiles.ManifestFile> files = manifests.read();
    boolean valid = true;
    for (ManifestFiles.ManifestFile f : files) {
      FleetWriter.Check check = writer.check(f.name(), f.text());
      for (String problem : check.problems()) {
        err.println("error: " + f.path() + ": " + problem);
        valid = false;
      }
    }
    if (!valid) {
      err.println("nothing was applied; fix the errors above and apply again");
      err.flush();
      return Sbctl.FAILURE;
    }
    for (ManifestFiles.ManifestFile f : files) {
      for (FleetWriter.Applied a : writer.apply(f.name(), f.text())) {
        out.println(ResourceRef.display(a.key()) + " " + a.change());
      }
    }
    out.flush();
    return Sbctl.OK;
  }

  private Integer applyToTable() throws Exception {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    TableApply apply = new TableApply(root.config().subnetPolicy());
    TableApply.Checked checked =
        apply.check(manifests.read(), new LocalFleet(root.config()).declaredByFiles());
    if (!checked.problems().isEmpty()) {
      checked.problems().forEach(p -> err.println("error: " + p));
      err.println("nothing was applied; fix the errors above and apply again");
      err.flush();
      return Sbctl.FAILURE;
    }
    try (var db = RecordsAccess.open(root.config())) {
      apply.write(db, checked.rows()).forEach(out::println);
    }
    out.flush();
    return Sbctl.OK;
  }
}
