package fr.acecinema.switchboard.wireguard;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HANDSHAKE_RECENT;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HANDSHAKE_STALE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_HANDSHAKE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PEER_NOT_FOUND;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TRAFFIC_STALLED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.WG_UNAVAILABLE;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Judges a site's tunnel from one dump (pure). A handshake older than {@code handshakeTimeout}
 * (WireGuard renews it every ~2 min on a live peer, measured) means down. When the site sends
 * persistent keepalives, the received-bytes counter grows at least every keepalive period: with a
 * {@code trafficTimeout}, a counter that has not grown for that long also means down, much sooner
 * than the handshake age can tell.
 */
public final class TunnelJudge {
  private TunnelJudge() {}

  /**
   * @param dump the interface's dump, empty when wg could not be read
   * @param error why wg could not be read (used when {@code dump} is empty)
   * @param iface the hub interface
   * @param publicKey the site's peer key
   * @param now current time
   * @param handshakeTimeout maximum handshake age of a live tunnel
   * @param trafficTimeout maximum time without received bytes, null to not judge on traffic
   * @param rxSince since when the received-bytes counter has had its current value, null if unknown
   */
  public static TunnelVerdict judge(
      Optional<WgDump> dump,
      String error,
      String iface,
      String publicKey,
      Instant now,
      Duration handshakeTimeout,
      Duration trafficTimeout,
      Instant rxSince) {
    if (dump.isEmpty()) {
      return new TunnelVerdict(false, WG_UNAVAILABLE, error, null, null, null);
    }
    Optional<WgDump.Peer> found = dump.get().peer(publicKey);
    if (found.isEmpty()) {
      return new TunnelVerdict(
          false,
          PEER_NOT_FOUND,
          "interface "
              + iface
              + " has no peer "
              + publicKey
              + "; check spec.wireguard.publicKey against `wg show "
              + iface
              + " peers`",
          null,
          null,
          null);
    }
    WgDump.Peer peer = found.get();
    Long rx = peer.rxBytes();
    Long tx = peer.txBytes();
    if (peer.latestHandshake().isEmpty()) {
      return new TunnelVerdict(
          false, NO_HANDSHAKE, "no handshake with the peer yet on " + iface, null, rx, tx);
    }
    Instant hs = peer.latestHandshake().get();
    Duration age = Duration.between(hs, now);
    if (age.compareTo(handshakeTimeout) > 0) {
      return new TunnelVerdict(
          false,
          HANDSHAKE_STALE,
          "last handshake "
              + age.toSeconds()
              + "s ago, more than "
              + handshakeTimeout.toSeconds()
              + "s",
          hs,
          rx,
          tx);
    }
    if (trafficTimeout != null && rxSince != null) {
      Duration silent = Duration.between(rxSince, now);
      if (silent.compareTo(trafficTimeout) > 0) {
        return new TunnelVerdict(
            false,
            TRAFFIC_STALLED,
            "nothing received for "
                + silent.toMillis()
                + " ms (trafficTimeout "
                + trafficTimeout.toMillis()
                + " ms); last handshake "
                + Math.max(0, age.toSeconds())
                + "s ago",
            hs,
            rx,
            tx);
      }
    }
    return new TunnelVerdict(
        true,
        HANDSHAKE_RECENT,
        "last handshake " + Math.max(0, age.toSeconds()) + "s ago",
        hs,
        rx,
        tx);
  }
}
