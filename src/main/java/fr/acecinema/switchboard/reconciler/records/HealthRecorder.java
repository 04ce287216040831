package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.probe.HealthSnapshot;
import fr.acecinema.switchboard.probe.ProbeListener;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hears every probe: folds it into the per-minute aggregates and, when the backend's health state
 * changes, appends a health transition ({@code sbctl history}) to the journal. No event: the
 * backend's {@code BackendDown}/{@code BackendUp} event comes from {@code notify.Transitions}, once
 * per transition of its Ready condition. Called on the probe thread, so it only touches memory.
 */
public final class HealthRecorder implements ProbeListener {
  private final RecordsJournal journal;
  private final ProbeMinutes minutes;
  private final Map<String, State> last = new ConcurrentHashMap<>();

  public HealthRecorder(RecordsJournal journal, ProbeMinutes minutes) {
    this.journal = journal;
    this.minutes = minutes;
  }

  @Override
  public void onProbe(ResourceKey key, HealthSnapshot snapshot, boolean stateChanged) {
    if (snapshot.lastProbeTime() == null) {
      return;
    }
    boolean ok = snapshot.consecutiveFailures() == 0;
    long latency = snapshot.latencyMillis() == null ? 0 : snapshot.latencyMillis();
    minutes.add(key.name(), snapshot.lastProbeTime(), ok, latency);
    State previous = last.put(key.name(), snapshot.state());
    if (!stateChanged && previous != null) {
      return;
    }
    if (previous == snapshot.state() || (previous == null && snapshot.state() == State.Unknown)) {
      return;
    }
    Instant at =
        snapshot.lastTransitionTime() != null
            ? snapshot.lastTransitionTime()
            : snapshot.lastProbeTime();
    boolean healthy = snapshot.state() == State.Healthy;
    String reason = healthy ? ConditionTypes.PROBE_SUCCEEDED : ConditionTypes.PROBE_FAILED;
    String message =
        healthy
            ? "health check passed in " + latency + " ms"
            : snapshot.lastError() == null ? "health check failed" : snapshot.lastError();
    journal.transition(
        new HealthTransition(
            key.name(),
            previous == null ? null : previous.name(),
            snapshot.state().name(),
            reason,
            message,
            snapshot.latencyMillis() == null ? null : (int) Math.min(latency, Integer.MAX_VALUE),
            at));
  }

  /** Forgets a backend that is gone, so a re-created one starts from no state. */
  public void forget(String backend) {
    last.remove(backend);
  }
}
