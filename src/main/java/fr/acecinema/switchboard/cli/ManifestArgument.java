package fr.acecinema.switchboard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The manifests {@code apply} and {@code validate} read, as a picocli mixin: validate promises the
 * checks of apply, so both must take the same files the same way.
 */
final class ManifestArgument {
  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE|DIR",
      description = "A manifest file, or a directory of *.yaml/*.yml files.")
  Path path;

  /** The files named by {@code -f}; see {@link ManifestFiles#read}. */
  List<ManifestFiles.ManifestFile> read() throws IOException {
    return ManifestFiles.read(path);
  }
}
