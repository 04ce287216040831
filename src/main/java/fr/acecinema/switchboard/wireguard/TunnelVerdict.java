package fr.acecinema.switchboard.wireguard;

import java.time.Instant;

/**
 * What the hub concludes about one site's tunnel.
 *
 * @param up whether the tunnel carries traffic
 * @param reason TunnelUp reason ({@code HandshakeRecent}, {@code HandshakeStale}, {@code
 *     NoHandshake}, {@code TrafficStalled}, {@code PeerNotFound}, {@code WgUnavailable})
 * @param message human explanation with the figures
 * @param latestHandshake last handshake, null when none or unknown
 * @param rxBytes bytes received from the peer, null when unknown
 * @param txBytes bytes sent to the peer, null when unknown
 */
public record TunnelVerdict(
    boolean up,
    String reason,
    String message,
    Instant latestHandshake,
    Long rxBytes,
    Long txBytes) {

  /** Same judgement (up and reason): counters and ages alone do not make a change. */
  public boolean sameJudgement(TunnelVerdict other) {
    return other != null && up == other.up && reason.equals(other.reason);
  }
}
