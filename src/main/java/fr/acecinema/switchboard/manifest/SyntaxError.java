package fr.acecinema.switchboard.manifest;

/**
 * Why a whole file could not be read as YAML.
 *
 * @param line 1-based line of the problem, 0 when the problem is not at a position (size, encoding)
 * @param column 1-based column, 0 when unknown
 * @param problem what is wrong, e.g. {@code mapping values are not allowed here}
 */
public record SyntaxError(int line, int column, String problem) {
  /** {@code api.yaml:7:3: mapping values are not allowed here}. */
  public String describe(String file) {
    if (line <= 0) {
      return file + ": " + problem;
    }
    return file + ":" + line + ":" + column + ": " + problem;
  }
}
