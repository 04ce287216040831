package fr.acecinema.switchboard.manifest;

import java.util.List;
import java.util.Optional;

/**
 * A manifest file read as YAML.
 *
 * @param documents the non-empty documents, in file order (those read before a syntax error too)
 * @param error the syntax, encoding or size problem that stopped reading, if any
 */
public record ParsedFile(List<ParsedDocument> documents, Optional<SyntaxError> error) {
  public ParsedFile {
    documents = List.copyOf(documents);
  }

  /** The document whose 0-based stream index is {@code index}, if present and not empty. */
  public Optional<ParsedDocument> document(int index) {
    return documents.stream().filter(d -> d.index() == index).findFirst();
  }
}
