package fr.acecinema.switchboard.source.file;

import fr.acecinema.switchboard.manifest.AtomicFiles;
import java.nio.file.Path;

/** Which paths under the watched directory are manifests, and which are noise. */
public final class ManifestNames {
  private ManifestNames() {}

  /** Whether {@code relative} (a path under the root) is a manifest Switchboard reads. */
  public static boolean isManifest(Path relative) {
    if (relative.getNameCount() == 0 || relative.toString().isEmpty()) {
      return false;
    }
    for (Path part : relative) {
      if (isIgnored(part.toString())) {
        return false;
      }
    }
    String name = relative.getFileName().toString();
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** Whether a directory under the root (relative path) is skipped with all it holds. */
  public static boolean isIgnoredDirectory(Path relative) {
    for (Path part : relative) {
      if (isIgnored(part.toString())) {
        return true;
      }
    }
    return false;
  }

  /** Hidden names and the temporary files of editors and of our own atomic writes. */
  static boolean isIgnored(String name) {
    return name.startsWith(".")
        || name.endsWith("~")
        || (name.startsWith("#") && name.endsWith("#"))
        || name.endsWith(".swp")
        || name.endsWith(".swx")
        || name.endsWith(".tmp")
        || name.equals("4913")
        || AtomicFiles.isTemporary(name);
  }

  /** The location string of a path: relative to the root, {@code /}-separated. */
  static String location(Path relative) {
    StringBuilder out = new StringBuilder();
    for (Path part : relative) {
      if (!out.isEmpty()) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }
}
