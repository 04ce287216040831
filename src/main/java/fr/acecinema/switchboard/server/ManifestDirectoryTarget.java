package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.runtime.ResourceKey;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The API's writes as files of the watched directory: a new resource becomes {@code
 * api/<kind>-<name>.yaml}; a resource already declared alone in some file is rewritten in that
 * file, so the API and hand-edited files never declare the same resource twice. A resource declared
 * in a file together with other documents is refused (409): rewriting that file would touch
 * resources the request did not name.
 */
public final class ManifestDirectoryTarget implements ResourceTarget {
  /** Subdirectory of the watched directory that holds the files the API creates. */
  public static final String DIRECTORY = "api";

  private final ManifestFleet fleet;

  private final Path root;

  /**
   * @param root the watched directory
   * @param subnets which Site subnets are accepted
   */
  public ManifestDirectoryTarget(Path root, SubnetPolicy subnets) {
    this.root = root;
    this.fleet = new ManifestFleet(root, subnets);
  }

  @Override
  public List<ResourceRow> list() throws IOException {
    return fleet.list();
  }

  @Override
  public FleetWriter.Check check(ResourceKey key, String yaml) throws IOException {
    return fleet.check(fileFor(key), yaml);
  }

  @Override
  public long write(ResourceKey key, String yaml) throws IOException {
    String file = fileFor(key);
    try {
      fleet.apply(file, yaml);
    } catch (ConfinedDirectory.LinkRefusedException e) {
      throw refused(file, e);
    }
    return new ManifestParser().parse(yaml).documents().get(0).generation();
  }

  @Override
  public boolean delete(ResourceKey key) throws IOException {
    try {
      return fleet.delete(key);
    } catch (ConfinedDirectory.LinkRefusedException e) {
      throw refused(key.toString(), e);
    }
  }

  /** Whether a manifest file declares {@code key} (accepted, rejected or in conflict). */
  public boolean declares(ResourceKey key) throws IOException {
    // With the table as the API's target, the watched directory may legitimately not exist.
    return java.nio.file.Files.isDirectory(root)
        && fleet.list().stream().anyMatch(r -> r.key().filter(key::equals).isPresent());
  }

  /** The API never writes, renames or deletes through a symbolic link leading anywhere. */
  private static ResourceTarget.ConflictException refused(
      String what, ConfinedDirectory.LinkRefusedException e) {
    return new ResourceTarget.ConflictException(
        what
            + ": its file is reached through a symbolic link, which the API does not follow to"
            + " write or delete; replace the link with the directory or file itself");
  }

  /** The file that declares {@code key} now, or the one the API would create for it. */
  String fileFor(ResourceKey key) throws IOException {
    List<ResourceRow> rows = fleet.list();
    List<ResourceRow> declaring =
        rows.stream().filter(r -> r.key().filter(key::equals).isPresent()).toList();
    if (declaring.size() > 1) {
      throw new ResourceTarget.ConflictException(
          key
              + " is declared "
              + declaring.size()
              + " times ("
              + declaring.stream().map(r -> r.origin().describe()).collect(Collectors.joining(", "))
              + "); delete the extra declarations first");
    }
    String file =
        declaring.isEmpty()
            ? DIRECTORY + "/" + key.kind().toLowerCase(Locale.ROOT) + "-" + key.name() + ".yaml"
            : declaring.get(0).origin().location();
    List<String> others =
        rows.stream()
            .filter(r -> r.origin() != null && file.equals(r.origin().location()))
            .filter(r -> r.key().filter(key::equals).isEmpty())
            .map(r -> r.key().map(Object::toString).orElse(r.origin().describe()))
            .toList();
    if (!others.isEmpty()) {
      throw new ResourceTarget.ConflictException(
          file
              + " also declares "
              + String.join(", ", others)
              + "; the API rewrites whole files, so edit that file directly or move "
              + key
              + " into a file of its own");
    }
    return file;
  }
}
