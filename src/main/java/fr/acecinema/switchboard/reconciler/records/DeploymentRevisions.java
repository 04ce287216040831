package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Template;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision.State;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the changes of Deployments' status seen in the store into rows of {@code
 * deployment_revisions}, through the journal: a new {@code status.current} revision is recorded
 * {@code RollingOut}; {@code Progressing} becoming False {@code RolloutComplete} makes the current
 * revision {@code Complete}; {@code RolledBack} becoming True makes the revision that failed (then
 * {@code status.previous}) {@code RolledBack}; the current revision going back to the previous one
 * before it completed makes it {@code Undone}. A store listener, not a reconciler: the status keeps
 * two revisions, the history is the sequence of changes, which a level-triggered reconcile does not
 * see.
 *
 * <p>The first time a Deployment is seen (a restart of the operator), what its status says now is
 * recorded: the repository never moves a finished revision back to {@code RollingOut}, so this
 * fills in what was missed without rewriting what was known.
 */
public final class DeploymentRevisions implements ResourceStore.Listener {
  private static final Logger log = LoggerFactory.getLogger(DeploymentRevisions.class);
  private static final String ROLLOUT_COMPLETE = "RolloutComplete";

  private final DeploymentRevisionRecorder recorder;
  private final Clock clock;

  public DeploymentRevisions(DeploymentRevisionRecorder recorder, Clock clock) {
    this.recorder = recorder;
    this.clock = clock;
  }

  @Override
  public void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (!(current instanceof Deployment deployment)) {
      // A removed Deployment keeps its history: its name may be declared again (see upsert).
      return;
    }
    try {
      DeploymentStatus before = previous instanceof Deployment p ? p.getStatus() : null;
      for (DeploymentRevision r :
          derive(key.name(), before, deployment.getStatus(), clock.instant())) {
        recorder.revision(r);
      }
    } catch (RuntimeException e) {
      // History is a by-product; a surprise here must never disturb the store's writer.
      log.warn("could not derive revisions for {}: {}", key, e.toString());
    }
  }

  /** The rows a change of status from {@code before} to {@code after} writes, in order (pure). */
  static List<DeploymentRevision> derive(
      String name, DeploymentStatus before, DeploymentStatus after, Instant now) {
    List<DeploymentRevision> out = new ArrayList<>();
    if (after == null || !known(after.current)) {
      return out;
    }
    Template current = after.current;
    boolean firstSight = before == null || !known(before.current);
    boolean rolledBack = rolledBack(after);
    boolean complete = complete(after);
    if (firstSight) {
      if (rolledBack) {
        out.add(row(name, after.previous, State.ROLLED_BACK, now, now));
      }
      out.add(
          row(
              name,
              current,
              complete ? State.COMPLETE : State.ROLLING_OUT,
              started(after, now),
              now));
      return out;
    }
    int seen =
        Math.max(before.current.revision, known(before.previous) ? before.previous.revision : 0);
    if (current.revision > seen) {
      out.add(row(name, current, State.ROLLING_OUT, started(after, now), now));
    }
    if (!rolledBack
        && current.revision < before.current.revision
        && known(after.previous)
        && after.previous.revision.equals(before.current.revision)
        && !complete(before)) {
      // Back to the previous revision before this one completed: an undo, not a new rollout.
      out.add(row(name, after.previous, State.UNDONE, now, now));
    }
    if (rolledBack
        && !(rolledBack(before)
            && Objects.equals(before.previous.revision, after.previous.revision))) {
      out.add(row(name, after.previous, State.ROLLED_BACK, now, now));
    }
    if (complete
        && !(complete(before) && Objects.equals(before.current.revision, current.revision))) {
      out.add(row(name, current, State.COMPLETE, started(after, now), now));
    }
    return out;
  }

  private static boolean known(Template t) {
    return t != null && t.revision != null && t.hash != null && t.image != null;
  }

  /** RolledBack is True and the revision that failed is known. */
  private static boolean rolledBack(DeploymentStatus s) {
    return known(s.previous) && is(s, ConditionTypes.ROLLED_BACK, Condition.TRUE, null);
  }

  private static boolean complete(DeploymentStatus s) {
    return is(s, ConditionTypes.PROGRESSING, Condition.FALSE, ROLLOUT_COMPLETE);
  }

  private static boolean is(DeploymentStatus s, String type, String status, String reason) {
    return s.condition(type)
        .filter(c -> status.equals(c.status) && (reason == null || reason.equals(c.reason)))
        .isPresent();
  }

  /** When the current revision's rollout started, as the status says; else now. */
  private static Instant started(DeploymentStatus s, Instant now) {
    if (s.rolloutStarted == null) {
      return now;
    }
    try {
      return Instant.parse(s.rolloutStarted);
    } catch (DateTimeParseException e) {
      return now;
    }
  }

  private static DeploymentRevision row(
      String name, Template t, State state, Instant created, Instant changed) {
    return new DeploymentRevision(
        name, t.revision, t.hash, t.image, t.port, t.env, t.primaryEnv, state, created, changed);
  }
}
