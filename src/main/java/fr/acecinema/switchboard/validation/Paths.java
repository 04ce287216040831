package fr.acecinema.switchboard.validation;

import java.util.regex.Pattern;

/** Field paths as users read them: {@code spec.hosts[1]}, {@code metadata.labels['a.b/c']}. */
final class Paths {
  /** The path of the document itself. */
  static final String ROOT = "(document)";

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]+");

  private Paths() {}

  static String child(String parent, String key) {
    String part = PLAIN.matcher(key).matches() ? key : "['" + key.replace("'", "\\'") + "']";
    if (parent.equals(ROOT)) {
      return part;
    }
    return part.startsWith("[") ? parent + part : parent + "." + part;
  }

  static String index(String parent, int i) {
    return parent + "[" + i + "]";
  }

  /** Whether {@code path} is {@code field} itself or lies below it. */
  static boolean within(String path, String field) {
    return path.equals(field) || path.startsWith(field + ".") || path.startsWith(field + "[");
  }
}
