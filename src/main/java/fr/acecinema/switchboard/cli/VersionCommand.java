package fr.acecinema.switchboard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sbctl version}: as {@code sbctl --version}, the form kubectl users type. */
@Command(
    name = "version",
    description = "Print this build's version (see CHANGELOG.md) and the Java runtime.")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    for (String line : new Sbctl.Version().getVersion()) {
      spec.commandLine().getOut().println(line);
    }
    spec.commandLine().getOut().flush();
    return Sbctl.OK;
  }
}
