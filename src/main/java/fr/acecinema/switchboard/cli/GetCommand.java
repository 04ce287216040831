package fr.acecinema.switchboard.cli;

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
    List<ResourceRow> rows = root.wiring("read manifests").view(root.config()).list();
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<ResourceRow> unreadable = rows.stream().filter(r -> r.kind() == null).toList();
    List<ResourceRow> selected = new ArrayList<>();
    List<List<ResourceRow>> sections = new ArrayList<>();
    for (String k : kinds) {
      List<ResourceRow> ofKind =
          rows.stream()
              .filter(r -> k.equals(r.kind()))
              .filter(r -> name == null || name.equals(r.name()))
              .toList();
      List<ResourceRow> section = new ArrayList<>(ofKind);
      if (!all && name == null) {
        section.addAll(unreadable);
      }
      if (!section.isEmpty()) {
        sections.add(section);
        selected.addAll(section);
      }
    }
    if (all && !unreadable.isEmpty()) {
      sections.add(unreadable);
      selected.addAll(unreadable);
    }
    if (name != null && selected.isEmpty()) {
      err.println(
          "error: "
              + kinds.get(0).toLowerCase(java.util.Locale.ROOT)
              + " \""
              + name
              + "\" not found in "
              + root.config().manifests());
      return Sbctl.FAILURE;
    }
    if (selected.isEmpty()) {
      err.println("No resources found in " + root.config().manifests() + ".");
      return Sbctl.OK;
    }
    var now = root.clock().instant();
    if (output == Printer.Format.yaml || output == Printer.Format.json) {
      List<ResourceRow> readable = selected.stream().filter(r -> r.kind() != null).toList();
      unreadable.stream()
          .filter(selected::contains)
          .forEach(r -> err.println("warning: " + r.origin() + ": " + r.error()));
      if (!readable.isEmpty()) {
        out.print(Printer.render(readable, output, now));
      }
    } else {
      for (int i = 0; i < sections.size(); i++) {
        if (i > 0) {
          out.println();
        }
        out.print(Printer.table(sections.get(i), output == Printer.Format.wide, now));
      }
    }
    out.flush();
    return Sbctl.OK;
  }
}
