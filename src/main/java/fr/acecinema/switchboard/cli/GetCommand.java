package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.ResourceRow;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl get KIND [NAME] [-o wide|yaml|json]}. */
@Command(
    name = "get",
    description = "List resources of a kind (site, service, backend or all) with their readiness.")
final class GetCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "KIND",
      description = "site (st), service (svc), backend (be) or all.")
  String kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "Only this resource.")
  String name;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table, wide (more columns and the source file), yaml or json.")
  Printer.Format output;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    boolean all = kind.equalsIgnoreCase("all");
    List<String> kinds = all ? Kinds.ALL : List.of(ResourceRef.kind(spec, kind));
    if (all && name != null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "'get all' takes no NAME");
    }
    FleetView view = root.fleets().view(root.config());
    List<ResourceRow> rows = view.list();
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<ResourceRow> unreadable = rows.stream().filter(r -> r.kind() == null).toList();
    List<ResourceRow> selected = new ArrayList<>();
    for (String k : kinds) {
      rows.stream()
          .filter(r -> k.equals(r.kind()))
          .filter(r -> name == null || name.equals(r.name()))
          .forEach(selected::add);
    }
    // A file that is not YAML might declare what was asked for: show it whenever listing.
    if (name == null) {
      selected.addAll(unreadable);
    }
    if (name != null && selected.isEmpty()) {
      err.println(
          "error: "
              + kinds.get(0).toLowerCase(java.util.Locale.ROOT)
              + " \""
              + name
              + "\" not found in "
              + view.where());
      return Sbctl.FAILURE;
    }
    if (selected.isEmpty()) {
      err.println("No resources found in " + view.where() + ".");
      return Sbctl.OK;
    }
    var now = root.clock().instant();
    if (output == Printer.Format.yaml || output == Printer.Format.json) {
      // An unreadable file has no object to print: say so on stderr, keep stdout parseable.
      selected.stream()
          .filter(r -> r.kind() == null)
          .forEach(r -> err.println("warning: " + r.error()));
      out.print(
          Printer.render(
              selected.stream().filter(r -> r.kind() != null).toList(), output, name == null, now));
    } else {
      out.print(Printer.tables(selected, output == Printer.Format.wide, all, now));
    }
    out.flush();
    return Sbctl.OK;
  }
}
