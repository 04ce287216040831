package fr.acecinema.switchboard.validation;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * IP literals and CIDR blocks, IPv4 and IPv6, parsed by hand.
 *
 * <p>Nothing here ever resolves a name: {@code InetAddress.getByName("backend.lan")} would ask DNS,
 * and the hub must only ever reach addresses an operator wrote down. Text that is not a literal is
 * rejected with an {@link IllegalArgumentException} whose message says what to write instead.
 */
public final class Subnets {
  private Subnets() {}

  /**
   * An IP address as a number.
   *
   * @param value the address as an unsigned number
   * @param bits 32 for IPv4, 128 for IPv6
   */
  public record Ip(BigInteger value, int bits) {
    /** The canonical text: dotted quad, or RFC 5952 compressed IPv6. */
    @Override
    public String toString() {
      return bits == 32 ? formatV4(value) : formatV6(value);
    }
  }

  /**
   * A CIDR block.
   *
   * @param address the address as written (host bits may be set)
   * @param prefix the prefix length
   */
  public record Cidr(Ip address, int prefix) {
    /** The network address: {@link #address} with its host bits cleared. */
    public Ip network() {
      return new Ip(address.value().and(mask(address.bits(), prefix)), address.bits());
    }

    /** Whether the address as written is the network address (no host bits set). */
    public boolean isNetworkAddress() {
      return network().equals(address);
    }

    /** Whether {@code ip} is in this block (false for the other address family). */
    public boolean contains(Ip ip) {
      return ip.bits() == address.bits()
          && ip.value().and(mask(ip.bits(), prefix)).equals(network().value());
    }

    /** The canonical form, e.g. {@code 10.200.0.0/24}. */
    @Override
    public String toString() {
      return network() + "/" + prefix;
    }
  }

  /** Whether {@code address} lies in {@code cidr}; false when the families differ. */
  public static boolean contains(String cidr, String address) {
    return parseCidr(cidr).contains(parseIp(address));
  }

  /**
   * The part two blocks share, if any. CIDR blocks either nest or are disjoint, so the overlap is
   * always the narrower block.
   */
  public static Optional<String> overlap(String a, String b) {
    Cidr x = parseCidr(a);
    Cidr y = parseCidr(b);
    Cidr narrow = x.prefix() >= y.prefix() ? x : y;
    Cidr wide = narrow == x ? y : x;
    return wide.contains(narrow.network()) ? Optional.of(narrow.toString()) : Optional.empty();
  }

  /** Whether {@code text} is an IPv4 or IPv6 literal. */
  public static boolean isIpLiteral(String text) {
    try {
      parseIp(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Parses a CIDR block such as {@code 10.200.0.0/24} or {@code fd00:200::/64}. Host bits may be
   * set (see {@link Cidr#isNetworkAddress()}); the caller decides whether that is an error.
   */
  public static Cidr parseCidr(String text) {
    if (text == null) {
      throw new IllegalArgumentException("no subnet; write e.g. 10.200.0.0/24");
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' has no prefix length; write the network and its length, e.g. "
              + suggestBlock(text));
    }
    Ip ip = parseIp(text.substring(0, slash));
    String len = text.substring(slash + 1);
    if (!len.matches("[0-9]{1,3}") || (len.length() > 1 && len.startsWith("0"))) {
      throw new IllegalArgumentException(
          "'" + len + "' is not a prefix length; write a number from 0 to " + ip.bits());
    }
    int prefix = Integer.parseInt(len);
    if (prefix > ip.bits()) {
      throw new IllegalArgumentException(
          "prefix length /"
              + prefix
              + " is longer than an IPv"
              + (ip.bits() == 32 ? 4 : 6)
              + " address ("
              + ip.bits()
              + " bits)");
    }
    return new Cidr(ip, prefix);
  }

  /** Parses an IPv4 or IPv6 literal; host names, zones and ports are rejected. */
  public static Ip parseIp(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty address; write an IP such as 10.200.0.23");
    }
    if (text.indexOf(':') >= 0) {
      return new Ip(parseV6(text), 128);
    }
    return new Ip(parseV4(text), 32);
  }

  private static String suggestBlock(String text) {
    return text.indexOf(':') >= 0 ? "fd00:200::/64" : "10.200.0.0/24";
  }

  private static BigInteger parseV4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw notV4(text);
    }
    long value = 0;
    for (String p : parts) {
      // Leading zeros are refused: some tools read 010 as octal (8), others as decimal (10).
      if (!p.matches("[0-9]{1,3}") || (p.length() > 1 && p.charAt(0) == '0')) {
        throw notV4(text);
      }
      int octet = Integer.parseInt(p);
      if (octet > 255) {
        throw notV4(text);
      }
      value = (value << 8) | octet;
    }
    return BigInteger.valueOf(value);
  }

  private static IllegalArgumentException notV4(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not an IPv4 address; write four numbers 0-255, e.g. 10.200.0.23");
  }

  private static BigInteger parseV6(String text) {
    if (text.indexOf('%') >= 0) {
      throw new IllegalArgumentException(
          "'" + text + "' has a zone (%...); write a global or ULA IPv6 address without it");
    }
    int dbl = text.indexOf("::");
    if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) {
      throw notV6(text);
    }
    List<Integer> head = new ArrayList<>();
    List<Integer> tail = new ArrayList<>();
    if (dbl >= 0) {
      groups(text.substring(0, dbl), head, text, false);
      groups(text.substring(dbl + 2), tail, text, true);
      if (head.size() + tail.size() > 7) {
        throw notV6(text);
      }
    } else {
      groups(text, head, text, true);
      if (head.size() != 8) {
        throw notV6(text);
      }
    }
    BigInteger value = BigInteger.ZERO;
    for (int g : head) {
      value = value.shiftLeft(16).or(BigInteger.valueOf(g));
    }
    value = value.shiftLeft(16 * (8 - head.size() - tail.size()));
    for (int g : tail) {
      value = value.shiftLeft(16).or(BigInteger.valueOf(g));
    }
    return value;
  }

  private static void groups(String part, List<Integer> out, String text, boolean last) {
    if (part.isEmpty()) {
      return;
    }
    String[] gs = part.split(":", -1);
    for (int i = 0; i < gs.length; i++) {
      String g = gs[i];
      if (last && i == gs.length - 1 && g.indexOf('.') >= 0) {
        long v4 = parseV4(g).longValue();
        out.add((int) (v4 >>> 16));
        out.add((int) (v4 & 0xffff));
      } else if (g.matches("[0-9a-fA-F]{1,4}")) {
        out.add(Integer.parseInt(g, 16));
      } else {
        throw notV6(text);
      }
    }
  }

  private static IllegalArgumentException notV6(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not an IPv6 address; write e.g. fd00:200::23");
  }

  private static BigInteger mask(int bits, int prefix) {
    BigInteger all = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
    return all.xor(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
  }

  private static String formatV4(BigInteger value) {
    long v = value.longValue();
    return ((v >>> 24) & 255)
        + "."
        + ((v >>> 16) & 255)
        + "."
        + ((v >>> 8) & 255)
        + "."
        + (v & 255);
  }

  private static String formatV6(BigInteger value) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = value.shiftRight(16 * (7 - i)).intValue() & 0xffff;
    }
    // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
