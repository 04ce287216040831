package fr.acecinema.switchboard.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/**
 * Reads an absolute http(s) URL such as {@code http://127.0.0.1:2019}. A URL with credentials
 * ({@code user:pass@}) is refused: no client of Switchboard sends them (neither the webhook sender
 * nor sbctl nor the Caddy admin client), so they would be dropped silently; messages show such a
 * URL with its credentials masked.
 */
public final class HttpUrlConverter implements ITypeConverter<URI> {
  private static final Pattern CREDENTIALS = Pattern.compile("(//)[^/?#]*@");

  @Override
  public URI convert(String value) {
    try {
      URI uri = new URI(value.trim());
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new IllegalArgumentException(
            "'" + masked(value) + "' is not an http URL; write e.g. http://127.0.0.1:2019");
      }
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            "'"
                + masked(value)
                + "' has credentials (user:password@) in it, which Switchboard would not send;"
                + " remove them (webhooks are authenticated by their signature, see"
                + " --webhook-secret; the API by SWITCHBOARD_TOKEN)");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "'"
              + masked(value)
              + "' is not a URL ("
              + e.getReason()
              + "); write e.g. http://127.0.0.1:2019");
    }
  }

  /** {@code value} with anything between {@code //} and {@code @} replaced by {@code ***}. */
  static String masked(String value) {
    return CREDENTIALS.matcher(value).replaceFirst("$1***@");
  }
}
