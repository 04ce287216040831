/**
 * Caddy as the data plane: {@link fr.acecinema.switchboard.caddy.TierPlanner} orders a service's
 * eligible backends into tiers, {@link fr.acecinema.switchboard.caddy.CaddyConfigBuilder} turns
 * routed services into Switchboard's own Caddy server (pure), and {@link
 * fr.acecinema.switchboard.caddy.CaddyAdminClient} reads and replaces only that server through
 * Caddy's admin API. See docs/caddy.md for the measured reasoning.
 */
package fr.acecinema.switchboard.caddy;
