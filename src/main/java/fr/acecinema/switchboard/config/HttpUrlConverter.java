package fr.acecinema.switchboard.config;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.ITypeConverter;

/** Reads an absolute http(s) URL such as {@code http://127.0.0.1:2019}. */
public final class HttpUrlConverter implements ITypeConverter<URI> {
  @Override
  public URI convert(String value) {
    try {
      URI uri = new URI(value.trim());
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new IllegalArgumentException(
            "'" + value + "' is not an http URL; write e.g. http://127.0.0.1:2019");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a URL (" + e.getReason() + "); write e.g. http://127.0.0.1:2019");
    }
  }
}
