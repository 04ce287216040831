package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.fleet.RecordItems;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.HealthTransition;
import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;

/**
 * The records of a remote Switchboard, through {@code /records/v1alpha1/} with a read token: what
 * {@code sbctl events/history/revisions/rollout history} and describe's events use when {@code
 * SWITCHBOARD_SERVER} is set. A limit above what the server serves in one call is capped to it.
 */
final class RemoteRecords implements RecordsReader {
  private final ApiClient api;

  RemoteRecords(ApiClient api) {
    this.api = api;
  }

  @Override
  public List<EventRecord> events(String kind, String name, int limit) throws IOException {
    HttpUrl.Builder url = records("events", limit);
    if (kind != null) {
      url.addQueryParameter("kind", kind);
    }
    if (name != null) {
      url.addQueryParameter("name", name);
    }
    return RecordItems.items(api.get(url.build(), "list events"), RecordItems::event);
  }

  @Override
  public List<HealthTransition> history(String backend, int limit) throws IOException {
    HttpUrl url = ofObject("history", limit, "Backend", backend);
    // The endpoint answers oldest first (a log); readers hand out newest first.
    return RecordItems.items(api.get(url, "history of backend/" + backend), RecordItems::transition)
        .reversed();
  }

  @Override
  public List<ConfigRevision> revisions(int limit) throws IOException {
    return RecordItems.items(
        api.get(records("revisions", limit).build(), "list revisions"), RecordItems::revision);
  }

  @Override
  public List<DeploymentRevision> rollouts(String deployment, int limit) throws IOException {
    HttpUrl url = ofObject("rollouts", limit, "Deployment", deployment);
    return RecordItems.items(
        api.get(url, "rollout history of deployment/" + deployment), RecordItems::rollout);
  }

  /** The records of one object. */
  private HttpUrl ofObject(String what, int limit, String kind, String name) {
    return records(what, limit)
        .addQueryParameter("kind", kind)
        .addQueryParameter("name", name)
        .build();
  }

  private HttpUrl.Builder records(String what, int limit) {
    return api.url()
        .addPathSegment("records")
        .addPathSegment("v1alpha1")
        .addPathSegment(what)
        .addQueryParameter("limit", Integer.toString(Math.clamp(limit, 1, RecordItems.MAX_LIMIT)));
  }

  @Override
  public void close() {
    // The HTTP client is the process's; nothing to release per reader.
  }
}
