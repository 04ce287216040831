package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import java.util.List;

/**
 * The hub's API as a site's agent uses it, under a token of scope {@code agent} bound to its site.
 * Six calls: the Site (for its subnet), the Backends the agent manages, the writing and deleting of
 * one of them, the Deployments (whose status says which replicas the site runs), and the heartbeat.
 * Every call is bounded in time and fails with a {@link HubException} whose {@link
 * HubException.Kind kind} tells the agent whether to retry.
 */
public interface HubClient {
  /** {@code spec.subnet} of {@code site}, e.g. {@code 10.200.0.0/24}. */
  String subnet(String site) throws HubException;

  /** The Backends the hub has for this agent's token (the hub filters; the caller filters too). */
  List<HubBackend> backends() throws HubException;

  /** Creates or replaces one Backend (its name, labels and spec). */
  void putBackend(HubBackend backend) throws HubException;

  /** Deletes one Backend; one that is already gone is not an error. */
  void deleteBackend(String name) throws HubException;

  /** Every Deployment, with its status: {@code status.replicas} names each site's replicas. */
  List<Deployment> deployments() throws HubException;

  /** Sends one heartbeat of {@code site}. */
  void report(String site, AgentReport report) throws HubException;
}
