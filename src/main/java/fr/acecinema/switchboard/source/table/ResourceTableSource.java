package fr.acecinema.switchboard.source.table;

import fr.acecinema.switchboard.postgres.DatabaseException;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.ResourceListener;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.postgres.ResourceTable.Notification;
import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.DeclarationSink;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code resources} table as a source of declarations, next to the manifest directory: each
 * live row is one location ({@code Kind/name}) of source {@value #SOURCE}. LISTEN/NOTIFY brings a
 * changed row in within milliseconds; a full re-list on every (re)connection and every resync
 * period catches what a notification could not say (changes made while disconnected).
 *
 * <p>A database that is down changes nothing: what the table declared stays declared (routing goes
 * on with the last known rows), and the next successful listing reconciles the differences.
 */
public final class ResourceTableSource implements AutoCloseable {
  /** Source name in {@code Declarations} and in statuses' origins. */
  public static final String SOURCE = "table";

  private final CompletableFuture<Void> listed = new CompletableFuture<>();

  private static final Logger log = LoggerFactory.getLogger(ResourceTableSource.class);

  private final Supplier<ResourceTable> table;
  private final DeclarationSink sink;
  private final DocumentAdmission admission;
  private final Duration resync;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("table-source").factory());
  private volatile ResourceListener listener;
  private volatile boolean closed;

  public ResourceTableSource(
      Supplier<ResourceTable> table,
      DeclarationSink sink,
      DocumentAdmission admission,
      Duration resync) {
    this.table = table;
    this.sink = sink;
    this.admission = admission;
    this.resync = resync;
  }

  /**
   * Starts listening and resyncing. Returns at once: the database may not be up yet, in which case
   * the first listing happens when it is.
   */
  public void start() {
    timer.execute(this::listenWhenAvailable);
    timer.scheduleWithFixedDelay(
        this::resyncQuietly, resync.toMillis(), resync.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void listenWhenAvailable() {
    if (closed || listener != null) {
      return;
    }
    try {
      // The listener reconnects by itself and delivers RESYNC on every connection.
      listener = table.get().listen(this::onNotification);
    } catch (DatabaseUnavailableException e) {
      timer.schedule(this::listenWhenAvailable, 500, TimeUnit.MILLISECONDS);
    }
  }

  private void onNotification(Notification n) {
    switch (n.op()) {
      case RESYNC -> resyncQuietly();
      case UPSERT -> refreshQuietly(n.kind(), n.name());
      case DELETE -> sink.removeLocation(SOURCE, RowDocument.location(n.kind(), n.name()));
    }
  }

  /** Completes once every row has been listed once (the router waits for it before its pass). */
  public CompletableFuture<Void> listed() {
    return listed;
  }

  /** Re-reads every live row and forgets rows that are gone. */
  public synchronized void resync() {
    List<ResourceTable.Row> rows = table.get().list();
    Set<String> seen = new HashSet<>();
    for (ResourceTable.Row row : rows) {
      seen.add(RowDocument.location(row.kind(), row.name()));
      admit(row);
    }
    for (String location : sink.locations(SOURCE)) {
      if (!seen.contains(location)) {
        sink.removeLocation(SOURCE, location);
      }
    }
    listed.complete(null);
  }

  private void resyncQuietly() {
    if (closed) {
      return;
    }
    try {
      resync();
    } catch (DatabaseUnavailableException e) {
      log.debug("table resync skipped: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("table resync failed: {}", e.toString());
    }
  }

  private synchronized void refreshQuietly(String kind, String name) {
    try {
      Optional<ResourceTable.Row> row = table.get().get(kind, name);
      if (row.isPresent()) {
        admit(row.get());
      } else {
        sink.removeLocation(SOURCE, RowDocument.location(kind, name));
      }
    } catch (DatabaseException e) {
      // The listener's next RESYNC (after it reconnects) or the periodic resync reads it again.
      log.debug("reading row {}/{} failed: {}", kind, name, e.getMessage());
    }
  }

  private void admit(ResourceTable.Row row) {
    String location = RowDocument.location(row.kind(), row.name());
    switch (admission.admit(RowDocument.origin(row.kind(), row.name()), RowDocument.of(row))) {
      case DocumentAdmission.Result.Accepted a ->
          sink.replace(SOURCE, location, List.of(a.declaration()), List.<Rejection>of());
      case DocumentAdmission.Result.Rejected r ->
          sink.replace(SOURCE, location, List.<Declaration>of(), List.of(r.rejection()));
    }
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    ResourceListener l = listener;
    if (l != null) {
      l.close();
    }
  }
}
