package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.api.ResourceKey;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Reads {@code KIND/NAME} or {@code KIND NAME} as kubectl does. */
final class ResourceRef {
  private ResourceRef() {}

  static ResourceKey parse(CommandSpec spec, List<String> words) {
    String kind;
    String name;
    if (words.size() == 1 && words.get(0).contains("/")) {
      String w = words.get(0);
      kind = w.substring(0, w.indexOf('/'));
      name = w.substring(w.indexOf('/') + 1);
    } else if (words.size() == 2) {
      kind = words.get(0);
      name = words.get(1);
    } else {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "name the resource as KIND/NAME or KIND NAME, e.g. backend/api-dijon");
    }
    String canonical = kind(spec, kind);
    if (name.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "the resource name is empty");
    }
    return new ResourceKey(canonical, name);
  }

  static String kind(CommandSpec spec, String kind) {
    return Kinds.resolve(kind)
        .orElseThrow(
            () ->
                new CommandLine.ParameterException(
                    spec.commandLine(),
                    "unknown kind '" + kind + "'; use one of " + Kinds.known()));
  }

  /** kubectl's {@code backend/api-dijon}. */
  static String display(ResourceKey key) {
    return key.kind().toLowerCase(java.util.Locale.ROOT) + "/" + key.name();
  }
}
