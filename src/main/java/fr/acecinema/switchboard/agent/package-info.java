/**
 * A site's agent ({@code sbctl agent}): {@link fr.acecinema.switchboard.agent.SiteAgent} keeps the
 * hub's Backends of the site's labelled Docker containers in step with the engine, runs the
 * Deployment replicas the hub assigns to the site ({@link
 * fr.acecinema.switchboard.agent.ReplicaRunner}) and heartbeats the hub ({@link
 * fr.acecinema.switchboard.agent.AgentReport}), through {@link
 * fr.acecinema.switchboard.agent.HubClient} (over HTTP: {@link
 * fr.acecinema.switchboard.agent.HttpHubClient}).
 */
package fr.acecinema.switchboard.agent;
