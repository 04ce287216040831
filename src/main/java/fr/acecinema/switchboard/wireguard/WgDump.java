package fr.acecinema.switchboard.wireguard;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The output of {@code wg show INTERFACE dump}, minus every secret: the interface line's private
 * key and the peers' preshared keys are dropped while parsing, so a dump can be logged.
 *
 * @param publicKey the interface's own public key
 * @param listenPort its UDP port, 0 when none
 * @param peers one entry per peer, in wg's order
 */
public record WgDump(String publicKey, int listenPort, List<Peer> peers) {
  public WgDump {
    peers = List.copyOf(peers);
  }

  /**
   * One peer line.
   *
   * @param publicKey the peer's public key
   * @param endpoint {@code host:port}, null when wg prints {@code (none)}
   * @param allowedIps allowed IP ranges, empty when none
   * @param latestHandshake time of the last handshake, empty when there was none (wg prints 0)
   * @param rxBytes bytes received from the peer
   * @param txBytes bytes sent to the peer
   * @param persistentKeepaliveSeconds the hub's keepalive towards the peer, 0 when off
   */
  public record Peer(
      String publicKey,
      String endpoint,
      List<String> allowedIps,
      Optional<Instant> latestHandshake,
      long rxBytes,
      long txBytes,
      int persistentKeepaliveSeconds) {
    public Peer {
      allowedIps = List.copyOf(allowedIps);
    }
  }

  /** The peer with this public key, if the interface has it. */
  public Optional<Peer> peer(String key) {
    return peers.stream().filter(p -> p.publicKey().equals(key)).findFirst();
  }

  /**
   * Parses the single-interface form ({@code wg show IF dump}): a first line of 4 tab-separated
   * fields (private key, public key, listen port, fwmark), then 8 fields per peer (public key,
   * preshared key, endpoint, allowed ips, latest handshake in epoch seconds, rx, tx, keepalive).
   *
   * @throws IllegalArgumentException on anything else, naming the line
   */
  public static WgDump parse(String output) {
    List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("wg show dump printed nothing");
    }
    String[] head = lines.get(0).split("\t", -1);
    if (head.length != 4) {
      throw new IllegalArgumentException(
          "line 1 of wg show dump has "
              + head.length
              + " fields, expected 4 (was it 'wg show all dump'? ask for one interface)");
    }
    int port = number(head[2], 1, "listen port").intValue();
    List<Peer> peers = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split("\t", -1);
      int line = i + 1;
      if (f.length != 8) {
        throw new IllegalArgumentException(
            "line " + line + " of wg show dump has " + f.length + " fields, expected 8");
      }
      long handshake = number(f[4], line, "latest handshake");
      peers.add(
          new Peer(
              f[0],
              "(none)".equals(f[2]) ? null : f[2],
              "(none)".equals(f[3]) || f[3].isEmpty() ? List.of() : List.of(f[3].split(",")),
              handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(handshake)),
              number(f[5], line, "rx bytes"),
              number(f[6], line, "tx bytes"),
              "off".equals(f[7]) ? 0 : number(f[7], line, "persistent keepalive").intValue()));
    }
    return new WgDump(head[1], port, peers);
  }

  private static Long number(String text, int line, String field) {
    if ("off".equals(text)) {
      return 0L;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "line " + line + " of wg show dump: " + field + " '" + text + "' is not a number");
    }
  }
}
