package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.probe.ProbeListener;
import fr.acecinema.switchboard.reconciler.records.DatabaseHandle;
import fr.acecinema.switchboard.reconciler.records.HealthRecorder;
import fr.acecinema.switchboard.reconciler.records.ProbeMinutes;
import fr.acecinema.switchboard.reconciler.records.RecordsHealth;
import fr.acecinema.switchboard.reconciler.records.RecordsJournal;
import fr.acecinema.switchboard.reconciler.records.RevisionRecorder;
import fr.acecinema.switchboard.source.Declarations;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.table.ResourceTableSource;
import fr.acecinema.switchboard.source.table.TableStatusWriter;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL side of the process: the database (opened in the background, so a slow or dead
 * database never delays routing), its health ({@code RecordsSynced}), the journal of transitions,
 * events, probe minutes and revisions, and the table source with its status writer. The inventory
 * ({@code RecordsReconciler}) runs on the records runtime instance the composition root builds.
 */
public final class RecordsPlane implements AutoCloseable {
  /** File under the data dir holding the embedded server's port, for sbctl. */
  public static final String PORT_FILE = "postgres.port";

  private static final Logger log = LoggerFactory.getLogger(RecordsPlane.class);

  private final RecordsSettings settings;
  private final DatabaseHandle handle;
  private final Leadership leadership;
  private final RecordsHealth health;
  private final ProbeMinutes minutes = new ProbeMinutes();
  private final RecordsJournal journal;
  private final HealthRecorder healthRecorder;
  private final ResourceTableSource table;
  private final Thread opener;
  private boolean closed;

  public RecordsPlane(
      RecordsSettings settings,
      Declarations declarations,
      Duration resync,
      SubnetPolicy subnets,
      Clock clock,
      MeterRegistry meters) {
    this.settings = settings;
    this.leadership =
        settings.leader() == null
            ? null
            : new Leadership(
                () ->
                    database()
                        .orElseThrow(
                            () -> new java.sql.SQLException("the database is not open yet"))
                        .target()
                        .connect(
                            "switchboard-lease " + settings.leader().hub(),
                            (int) Math.max(1, settings.leader().lease().toSeconds())),
                settings.leader().hub(),
                settings.leader().lease(),
                Leadership.Ticker.SYSTEM);
    this.handle = new DatabaseHandle(leadership == null ? Fence.NONE : leadership.fence());
    this.health = new RecordsHealth(clock, meters);
    this.journal =
        new RecordsJournal(handle, health, minutes, clock, settings.bufferCapacity(), meters);
    if (leadership != null) {
      journal.onlyWhile(leadership::leading);
    }
    this.healthRecorder = new HealthRecorder(journal, minutes);
    if (settings.tableSource()) {
      declarations.registerWriter(
          ResourceTableSource.SOURCE, new TableStatusWriter(handle::statusTable));
      this.table =
          new ResourceTableSource(
              handle::table,
              declarations,
              new DocumentAdmission(Optional.of(new SchemaValidator(subnets))),
              resync);
    } else {
      this.table = null;
    }
    this.opener = Thread.ofPlatform().daemon().name("records-open").unstarted(this::open);
  }

  public void start() {
    opener.start();
    if (leadership != null) {
      leadership.start();
    }
    journal.start();
    if (table != null) {
      table.start();
    }
  }

  private void open() {
    long wait = 1_000;
    while (!isClosed()) {
      try {
        Database db = Database.open(settings.databaseUrl(), settings.dataDir());
        if (isClosed()) {
          db.close();
          return;
        }
        handle.bind(db);
        db.embedded().ifPresent(s -> writePort(s.port()));
        return;
      } catch (RuntimeException e) {
        health.failed("cannot open the database: " + e.getMessage());
        log.error("cannot open the database ({}); retrying in {} ms", e.getMessage(), wait);
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          wait(wait);
        } catch (InterruptedException e) {
          return;
        }
      }
      wait = Math.min(wait * 2, 30_000);
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private void writePort(int port) {
    try {
      Files.createDirectories(settings.dataDir());
      Path file = settings.dataDir().resolve(PORT_FILE);
      Path tmp = file.resolveSibling(PORT_FILE + ".tmp");
      Files.writeString(tmp, port + "\n");
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      log.warn("cannot write {} (sbctl will not find the database): {}", PORT_FILE, e.toString());
    }
  }

  /** Hears every probe (health transitions, per-minute aggregates). */
  public ProbeListener probeListener() {
    return healthRecorder;
  }

  /** For the Caddy router: records every configuration pushed. */
  public RevisionRecorder revisions() {
    return journal;
  }

  /** The process-level {@code RecordsSynced} condition. */
  public Condition condition() {
    return health.condition();
  }

  public RecordsJournal journal() {
    return journal;
  }

  /** The database as the records reconciler reaches it (unavailable until opened). */
  public DatabaseHandle handle() {
    return handle;
  }

  /** Whether writes to the database succeed ({@code RecordsSynced}); told by every writer. */
  public RecordsHealth health() {
    return health;
  }

  /** Completes once the resources table has been listed once; at once without a table source. */
  public java.util.concurrent.CompletableFuture<Void> tableListed() {
    return table == null
        ? java.util.concurrent.CompletableFuture.completedFuture(null)
        : table.listed();
  }

  /** The fleet's leader election, when hubs share the database. */
  public Optional<Leadership> leadership() {
    return Optional.ofNullable(leadership);
  }

  /** The database once opened (tests stop and start its embedded server). */
  public Optional<Database> database() {
    return handle.database();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    try {
      // An embedded server being started must be stopped by us, not left behind.
      opener.join(Duration.ofSeconds(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (table != null) {
      table.close();
    }
    journal.close(2_000);
    if (leadership != null) {
      // After the journal's last writes, before the database goes: the other hub takes over now.
      leadership.close();
    }
    handle.database().ifPresent(Database::close);
    if (settings.embeddedDatabase()) {
      try {
        Files.deleteIfExists(settings.dataDir().resolve(PORT_FILE));
      } catch (IOException e) {
        log.debug("cannot remove {}: {}", PORT_FILE, e.toString());
      }
    }
  }
}
