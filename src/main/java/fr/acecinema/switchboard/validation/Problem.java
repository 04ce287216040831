package fr.acecinema.switchboard.validation;

/**
 * One thing wrong with a document.
 *
 * @param path JSON path of the field, e.g. {@code spec.port} or {@code spec.hosts[1]}
 * @param message what is wrong, e.g. {@code 70000 is above the maximum 65535}
 * @param fix how to fix it, e.g. {@code use a TCP port between 1 and 65535}
 */
public record Problem(String path, String message, String fix) {
  /** {@code spec.port: 70000 is above the maximum 65535; use a TCP port between 1 and 65535}. */
  public String describe() {
    return path + ": " + message + (fix == null || fix.isBlank() ? "" : "; " + fix);
  }
}
