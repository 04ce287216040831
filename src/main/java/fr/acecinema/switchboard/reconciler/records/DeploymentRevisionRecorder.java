package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.postgres.DeploymentRevision;

/**
 * Told about every Deployment revision that starts, completes or is rolled back. Implementations
 * never block and never throw: the store's writer calls it.
 */
@FunctionalInterface
public interface DeploymentRevisionRecorder {
  /** Records nothing (records off, tests). */
  DeploymentRevisionRecorder NONE = revision -> {};

  /** Records {@code revision} as it stands now (an upsert: its template and state). */
  void revision(DeploymentRevision revision);
}
