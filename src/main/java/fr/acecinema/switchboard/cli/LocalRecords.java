package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import java.util.List;

/** The records read from the database (see {@link RecordsAccess#open}); closes it when done. */
final class LocalRecords implements RecordsReader {
  private final Database db;
  private final RecordsRepository records;

  LocalRecords(Database db) {
    this.db = db;
    this.records = new RecordsRepository(db);
  }

  @Override
  public List<EventRecord> events(String kind, String name, int limit) {
    return records.events(kind, name, limit);
  }

  @Override
  public List<HealthTransition> history(String backend, int limit) {
    return records.healthHistory(backend, limit);
  }

  @Override
  public List<ConfigRevision> revisions(int limit) {
    return records.revisions(limit);
  }

  @Override
  public List<DeploymentRevision> rollouts(String deployment, int limit) {
    return records.deploymentRevisions(deployment, limit);
  }

  @Override
  public void close() {
    db.close();
  }
}
