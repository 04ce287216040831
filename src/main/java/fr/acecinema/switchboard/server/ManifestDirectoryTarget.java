package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.ManifestParser;
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
 * in a file together with other documents is rewritten in place: its document's lines are replaced,
 * every other document, separator and comment of the file stays byte for byte (checked by reading
 * the result back before it is written).
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
    // The document alone: other documents of a shared file are not this request's to judge.
    return fleet.check(fileFor(key), yaml);
  }

  @Override
  public long write(ResourceKey key, String yaml) throws IOException {
    String file = fileFor(key);
    try {
      fleet.apply(file, fileText(file, key, yaml));
    } catch (ConfinedDirectory.LinkRefusedException e) {
      throw refused(file, e);
    }
    return new ManifestParser().parse(yaml).documents().get(0).generation();
  }

  /** What {@code file} holds once {@code key}'s document is {@code yaml}. */
  private String fileText(String file, ResourceKey key, String yaml) throws IOException {
    if (!shared(file, key)) {
      return yaml;
    }
    try {
      return fleet.withDocumentReplaced(file, key, yaml).orElse(yaml);
    } catch (ConfinedDirectory.LinkRefusedException e) {
      throw refused(file, e);
    } catch (IllegalStateException e) {
      throw new ResourceTarget.ConflictException(e.getMessage());
    }
  }

  private boolean shared(String file, ResourceKey key) throws IOException {
    return fleet.list().stream()
        .anyMatch(
            r ->
                r.origin() != null
                    && file.equals(r.origin().location())
                    && r.key().filter(key::equals).isEmpty());
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
    return file;
  }
}
