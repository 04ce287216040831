package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;

/**
 * The router's {@link HealthView} in a running process: live = healthy by this process's probe, its
 * host not judged dead and its port not refusing; after its host or port came back, only once a
 * probe passed since (its health from before the outage says nothing of the processes that
 * restarted).
 */
public final class ProbedHealth implements HealthView {
  private final ProbeScheduler probes;
  private final HostHeartbeat heartbeat;

  public ProbedHealth(ProbeScheduler probes, HostHeartbeat heartbeat) {
    this.probes = probes;
    this.heartbeat = heartbeat;
  }

  @Override
  public boolean live(Backend b) {
    String host = b.getSpec().address;
    int port = b.getSpec().port;
    if (heartbeat.verdict(host) == HostHeartbeat.Verdict.DEAD || heartbeat.refused(host, port)) {
      return false;
    }
    var resumed = heartbeat.resumedAt(host, port);
    return probes
        .snapshot(ResourceKey.of(b))
        .map(
            s ->
                s.state() == BackendStatus.Health.State.Healthy
                    && (resumed.isEmpty()
                        || (s.consecutiveSuccesses() > 0
                            && s.lastProbeTime() != null
                            && !s.lastProbeTime().isBefore(resumed.get()))))
        .orElse(false);
  }

  @Override
  public boolean known(Backend b) {
    return probes
        .snapshot(ResourceKey.of(b))
        .map(s -> s.state() != BackendStatus.Health.State.Unknown)
        .orElse(false);
  }
}
