package fr.acecinema.switchboard.source;

import java.util.List;
import java.util.Set;

/**
 * Where sources report what each location (file or row) currently declares. Level-triggered: a
 * source re-reads a location and passes its whole current content; the sink diffs, detects
 * kind/name conflicts across locations and sources, and updates the resource store.
 */
public interface DeclarationSink {
  /**
   * Everything {@code location} of {@code source} declares now, replacing what it declared before.
   */
  void replace(
      String source, String location, List<Declaration> accepted, List<Rejection> rejected);

  /** The location is gone (file deleted, row removed): forget all it declared. */
  void removeLocation(String source, String location);

  /** Locations of {@code source} known to the sink, for resyncs that find vanished files. */
  Set<String> locations(String source);
}
