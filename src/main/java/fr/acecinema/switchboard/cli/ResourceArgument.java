package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The one resource {@code describe} and {@code delete} act on, as a picocli mixin: both take it the
 * same way and say "not found" the same way, so scripts can match either.
 */
final class ResourceArgument {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Parameters(
      arity = "1..2",
      paramLabel = "KIND/NAME",
      description = "e.g. backend/api-dijon or backend api-dijon.")
  List<String> words;

  /** The key named on the command line; a usage error when it is not {@code KIND/NAME}. */
  ResourceKey key() {
    return ResourceRef.parse(spec, words);
  }

  /** Says on stderr that {@code key} is not declared in {@code where}; returns the exit code. */
  int notFound(ResourceKey key, String where) {
    spec.commandLine()
        .getErr()
        .println("error: " + ResourceRef.display(key) + " not found in " + where);
    return Sbctl.FAILURE;
  }
}
