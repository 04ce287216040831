/**
 * WireGuard as a site-health signal: {@link fr.acecinema.switchboard.wireguard.WgDump} parses
 * {@code wg show IF dump} (pure), {@link fr.acecinema.switchboard.wireguard.WireGuardReader} runs
 * {@code wg} with a timeout, {@link fr.acecinema.switchboard.wireguard.TunnelJudge} turns a peer
 * into a TunnelUp verdict (pure) and {@link fr.acecinema.switchboard.wireguard.TunnelMonitor} polls
 * the tracked sites and reports verdict changes.
 */
package fr.acecinema.switchboard.wireguard;
