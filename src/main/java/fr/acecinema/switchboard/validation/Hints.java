package fr.acecinema.switchboard.validation;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The words of validation messages: what each schema pattern means to a user, how to name YAML
 * types, what a number field holds, and which known name a misspelt one was meant to be.
 */
final class Hints {
  /** What a pattern means, as a message and a fix for a value that does not match it. */
  record PatternHint(String meaning, String fix) {}

  static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
  static final String HOST_PATTERN =
      "^(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$";
  static final String NAME_FIX =
      "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most"
          + " 63 characters";
  static final String ADDRESS_WHY =
      "write the backend's literal IP, e.g. 10.200.0.23: the hub never resolves host names, it"
          + " only probes and routes to addresses an operator declared";

  // Keyed by the pattern text as generated into crds/; HintsTest fails when a CRD pattern has none.
  private static final Map<String, PatternHint> PATTERNS =
      Map.of(
          HealthCheck.DURATION_PATTERN,
          new PatternHint("is not a duration", "write e.g. 500ms, 2s or 1m30s"),
          BackendSpec.NAME_PATTERN,
          new PatternHint("is not a valid name", NAME_FIX),
          HOST_PATTERN,
          new PatternHint(
              "is not a host name",
              "write a lowercase DNS name such as api.acecinema.fr (a leading *. is allowed),"
                  + " without scheme, port or path"),
          "^[0-9a-fA-F.:]+/[0-9]{1,3}$",
          new PatternHint(
              "is not a CIDR block", "write the network and its prefix length, e.g. 10.200.0.0/24"),
          "^[0-9a-fA-F.:]+$",
          new PatternHint("is not an IP address", ADDRESS_WHY),
          "^/.*",
          new PatternHint("does not start with '/'", "write an absolute path, e.g. /health"),
          "^/[^*?#\\s]*$",
          new PatternHint(
              "is not a path prefix",
              "start with '/' and leave out '*', '?', '#' and spaces, e.g. /api/"),
          "^[1-5][0-9][0-9](-[1-5][0-9][0-9])?(,[1-5][0-9][0-9](-[1-5][0-9][0-9])?)*$",
          new PatternHint(
              "is not a list of HTTP status codes",
              "write a code or ranges separated by commas, without spaces, e.g. 200-399 or"
                  + " 200,204"),
          "^[a-zA-Z0-9_.=+-]{1,15}$",
          new PatternHint(
              "is not a network interface name",
              "write the interface as `wg show` lists it, e.g. wg0 (1 to 15 characters)"),
          "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
          new PatternHint(
              "is not a WireGuard public key",
              "copy the site's 44-character base64 key from `wg show` on the hub"));

  // What a bounded number is, for fixes such as "use a TCP port between 1 and 65535".
  private static final Map<String, String> NOUNS =
      Map.of(
          "port", "a TCP port",
          "weight", "a weight",
          "priority", "a priority",
          "maxReplicas", "a count",
          "healthyThreshold", "a count",
          "unhealthyThreshold", "a count");

  private Hints() {}

  static Optional<PatternHint> pattern(String pattern) {
    return Optional.ofNullable(PATTERNS.get(pattern));
  }

  static boolean knows(String pattern) {
    return PATTERNS.containsKey(pattern);
  }

  static String noun(String field) {
    return NOUNS.getOrDefault(field, "a value");
  }

  /** A YAML-minded name for a JSON type, e.g. {@code a mapping} for an object. */
  static String typeName(String schemaType) {
    return switch (schemaType) {
      case "object" -> "a mapping";
      case "array" -> "a list";
      case "string" -> "a string";
      case "integer" -> "a whole number";
      case "number" -> "a number";
      case "boolean" -> "true or false";
      default -> schemaType;
    };
  }

  /** How a value reads in a message: {@code the string '8080'}, {@code a list}, ... */
  static String describe(JsonNode v) {
    if (v.isTextual()) {
      return "the string '" + v.asText() + "'";
    }
    if (v.isNumber() || v.isBoolean()) {
      return v.asText();
    }
    if (v.isArray()) {
      return "a list";
    }
    if (v.isObject()) {
      return "a mapping";
    }
    return "nothing";
  }

  /** The closest candidate within a small edit distance, ignoring case. */
  static Optional<String> closest(String word, Collection<String> candidates) {
    String lower = word.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(lower, c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    int allowed = word.length() <= 3 ? 1 : word.length() <= 6 ? 2 : 3;
    return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  /** A DNS-1123 label made from {@code text}, to suggest in place of an invalid name. */
  static Optional<String> asName(String text) {
    String s = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-");
    s = s.replaceAll("-{2,}", "-").replaceAll("^-+|-+$", "");
    if (s.length() > 63) {
      s = s.substring(0, 63).replaceAll("-+$", "");
    }
    return s.isEmpty() || s.equals(text) ? Optional.empty() : Optional.of(s);
  }

  // Optimal string alignment distance: a transposition ("weigth") counts as one edit.
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
