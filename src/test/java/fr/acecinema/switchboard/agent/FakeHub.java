package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub's API in memory: its Backends, every write it received, every report, and failures a test
 * queues for the next writes.
 */
class FakeHub implements HubClient {
  final Map<String, HubBackend> backends = new LinkedHashMap<>();

  /** "PUT name" and "DELETE name", in order, failed ones included. */
  final List<String> writes = new ArrayList<>();

  final List<HubBackend> puts = new ArrayList<>();
  final List<AgentReport> reports = new ArrayList<>();
  final List<Deployment> deployments = new ArrayList<>();
  int deploymentLists;
  final Deque<HubException> putFailures = new ArrayDeque<>();
  final Deque<HubException> reportFailures = new ArrayDeque<>();
  String subnet = "10.200.1.0/24";
  boolean down;
  int lists;
  int listCalls;

  static HubException status(int code) {
    HubException.Kind kind =
        switch (code) {
          case 400, 403, 422 -> HubException.Kind.REFUSED;
          case 409 -> HubException.Kind.REPLAY;
          default -> HubException.Kind.UNAVAILABLE;
        };
    return new HubException(kind, code, "HTTP " + code + " from the fake hub");
  }

  private void failIfDown() throws HubException {
    if (down) {
      throw new HubException(HubException.Kind.UNAVAILABLE, 0, "connection refused");
    }
  }

  @Override
  public synchronized String subnet(String site) throws HubException {
    failIfDown();
    return subnet;
  }

  @Override
  public synchronized List<HubBackend> backends() throws HubException {
    listCalls++;
    failIfDown();
    lists++;
    return List.copyOf(backends.values());
  }

  @Override
  public synchronized void putBackend(HubBackend backend) throws HubException {
    writes.add("PUT " + backend.name());
    failIfDown();
    if (!putFailures.isEmpty()) {
      throw putFailures.poll();
    }
    puts.add(backend);
    backends.put(backend.name(), backend);
  }

  @Override
  public synchronized void deleteBackend(String name) throws HubException {
    writes.add("DELETE " + name);
    failIfDown();
    backends.remove(name);
  }

  @Override
  public synchronized List<Deployment> deployments() throws HubException {
    failIfDown();
    deploymentLists++;
    return List.copyOf(deployments);
  }

  @Override
  public synchronized void report(String site, AgentReport report) throws HubException {
    failIfDown();
    if (!reportFailures.isEmpty()) {
      throw reportFailures.poll();
    }
    reports.add(report);
  }

  synchronized List<String> writes() {
    return List.copyOf(writes);
  }

  synchronized AgentReport lastReport() {
    return reports.getLast();
  }
}
