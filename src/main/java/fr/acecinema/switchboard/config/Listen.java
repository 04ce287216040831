package fr.acecinema.switchboard.config;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;

/**
 * Reads a listen address: {@code 127.0.0.1:7070}, {@code [::1]:7070}, {@code localhost:0}, or
 * {@code :7070} for every interface.
 */
public final class Listen implements ITypeConverter<InetSocketAddress> {
  @Override
  public InetSocketAddress convert(String value) {
    return parse(value);
  }

  /**
   * Parses HOST:PORT.
   *
   * @throws IllegalArgumentException saying what is accepted
   */
  public static InetSocketAddress parse(String value) {
    String text = value == null ? "" : value.trim();
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "'" + text + "' has no port; write HOST:PORT, e.g. 127.0.0.1:7070 or :7070");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException(
          "'" + text + "': write IPv6 hosts in brackets, e.g. [::1]:7070");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' has no numeric port; write HOST:PORT, e.g. 127.0.0.1:7070");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("'" + text + "': port " + port + " is outside 0-65535");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /** Inverse of {@link #parse} for messages: {@code 127.0.0.1:7070}. */
  public static String format(InetSocketAddress address) {
    String host =
        address.getAddress() != null
            ? address.getAddress().getHostAddress()
            : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
