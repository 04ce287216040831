package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.HealthTransition;
import java.io.IOException;
import java.util.List;

/**
 * The PostgreSQL records as {@code sbctl events/history/revisions/describe/rollout} read them: from
 * the database itself ({@link LocalRecords}) or through a remote Switchboard's API ({@link
 * RemoteRecords}); both give the same records, so the commands print the same text.
 */
interface RecordsReader extends AutoCloseable {
  /** Events, most recently seen first; null kind/name mean every object. */
  List<EventRecord> events(String kind, String name, int limit) throws IOException;

  /** A backend's latest transitions, newest first. */
  List<HealthTransition> history(String backend, int limit) throws IOException;

  /** The latest revisions pushed to Caddy, newest first. */
  List<ConfigRevision> revisions(int limit) throws IOException;

  /** A Deployment's latest revisions, newest (highest number) first. */
  List<DeploymentRevision> rollouts(String deployment, int limit) throws IOException;

  @Override
  void close();
}
