package fr.acecinema.switchboard.api;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The name of a container's Backend: {@code SITE-CONTAINER}, made a valid resource name ({@value
 * BackendSpec#NAME_PATTERN}). Docker names allow capitals, {@code _} and {@code .}, and are longer:
 * letters are lower-cased, any other character becomes {@code -}, runs of {@code -} collapse, ends
 * are trimmed; a name still longer than 63 is cut and given a short hash of the full name, so two
 * long names that share their start stay apart and a container keeps its name across restarts.
 */
public final class BackendNames {
  /** The longest resource name. */
  public static final int MAX = 63;

  private static final int HASH_CHARS = 8;

  private BackendNames() {}

  /** The Backend name of {@code container} on {@code site}. */
  public static String of(String site, String container) {
    String full = site + "-" + container;
    String name = clean(full.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "-"));
    if (name.length() <= MAX) {
      return name;
    }
    String head = clean(name.substring(0, MAX - HASH_CHARS - 1));
    return head + "-" + hash(full);
  }

  private static String clean(String name) {
    return name.replaceAll("-+", "-").replaceAll("^-|-$", "");
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
