package fr.acecinema.switchboard.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The manifest files {@code -f PATH} names: the file itself, or every *.yaml/*.yml under a
 * directory.
 */
final class ManifestFiles {
  /** A file to apply or validate, named relative to what the user passed. */
  record ManifestFile(String name, Path path, String text) {}

  private ManifestFiles() {}

  static List<ManifestFile> read(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such file or directory");
    }
    List<ManifestFile> out = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> files = Files.walk(path)) {
        for (Path p :
            files
                .filter(Files::isRegularFile)
                .filter(ManifestFiles::isManifest)
                .sorted()
                .toList()) {
          out.add(
              new ManifestFile(
                  path.relativize(p).toString(), p, Files.readString(p, StandardCharsets.UTF_8)));
        }
      }
      if (out.isEmpty()) {
        throw new IOException("no *.yaml or *.yml file under " + path);
      }
    } else {
      out.add(
          new ManifestFile(
              path.getFileName().toString(), path, Files.readString(path, StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static boolean isManifest(Path p) {
    String n = p.getFileName().toString();
    return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml"));
  }
}
