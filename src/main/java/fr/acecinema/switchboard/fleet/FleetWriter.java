package fr.acecinema.switchboard.fleet;

import fr.acecinema.switchboard.api.ResourceKey;
import java.io.IOException;
import java.util.List;

/**
 * What {@code sbctl apply/validate/delete/rollout undo} change: manifests in the watched directory.
 * Implemented over the manifest parser and validator.
 */
public interface FleetWriter {
  /**
   * Result of checking one file.
   *
   * @param declares kind/name of every document that could be read
   * @param problems one line per problem, each naming the document (file:line), the field and the
   *     fix, e.g. {@code api.yaml:12 (document 2): spec.port: 70000 is above 65535; use a TCP port
   *     between 1 and 65535}; empty when the file is valid
   */
  record Check(List<ResourceKey> declares, List<String> problems) {
    public boolean valid() {
      return problems.isEmpty();
    }
  }

  /** What {@link #apply} did to one resource, kubectl's words. */
  enum Change {
    created,
    configured,
    unchanged
  }

  /** One line of {@code apply} output. */
  record Applied(ResourceKey key, Change change) {}

  /**
   * Checks {@code text} exactly as the running operator would accept it (syntax, schema, names that
   * another file already declares), without writing anything.
   *
   * @param fileName the file's name relative to what the user passed, e.g. {@code api.yaml}
   */
  Check check(String fileName, String text);

  /**
   * Writes {@code text} as {@code fileName} into the watched directory atomically (temporary file +
   * rename, so the watcher never sees half a file). Called only after {@link #check} found no
   * problem.
   */
  List<Applied> apply(String fileName, String text) throws IOException;

  /**
   * Removes the declaration of {@code key} from the watched directory (the document, or the file
   * when it held only that document).
   *
   * @return false when nothing declares {@code key}
   */
  boolean delete(ResourceKey key) throws IOException;

  /**
   * Replaces the declaration of {@code key} by {@code yaml} (one document, no status) where it is
   * declared, as the API's PUT does: its document rewritten in place in its file (every other
   * document, separator and comment of a shared file kept byte for byte), or its row of the
   * resources table. Metadata the document does not give (annotations, a creationTimestamp) is kept
   * where the declaration holds it. Never creates: {@code sbctl rollout undo} uses it.
   *
   * @param generation the generation the caller read the resource at: a declaration changed since
   *     is not overwritten (an exception says so; read it again and retry)
   * @return false when nothing declares {@code key}
   * @throws IllegalArgumentException when {@code yaml} is not a valid declaration (the messages of
   *     {@link #check})
   * @throws IllegalStateException when the declaration changed since {@code generation}, or cannot
   *     be written where it lives
   */
  boolean replace(ResourceKey key, String yaml, long generation) throws IOException;

  /** What {@link #replace} throws when the declaration moved on from {@code read} ({@code now}). */
  static IllegalStateException changedSince(ResourceKey key, long read, long now) {
    return new IllegalStateException(
        key
            + " was changed since it was read (generation "
            + read
            + (now == 0 ? ", now gone" : ", now " + now)
            + "); nothing was written, run the command again");
  }
}
