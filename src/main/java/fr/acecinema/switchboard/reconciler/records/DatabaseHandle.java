package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.util.Optional;

/**
 * The database as seen by the records writers, bound late: the embedded server starts in the
 * background, and until it is up every call fails like a database that is down, so the writers
 * buffer and retry exactly as they do during an outage.
 */
public final class DatabaseHandle {
  private final Fence fence;
  private volatile Database database;
  private volatile RecordsRepository records;
  private volatile ResourceTable table;
  private volatile ResourceTable statusTable;

  /** A handle whose writers write unconditionally (no leader election). */
  public DatabaseHandle() {
    this(Fence.NONE);
  }

  /**
   * @param fence what the records and status writes check first (the fleet's lease), so that only
   *     the leading hub's land
   */
  public DatabaseHandle(Fence fence) {
    this.fence = fence;
  }

  /** Binds the opened database. */
  public void bind(Database db) {
    this.records = new RecordsRepository(db.fenced(fence));
    this.table = new ResourceTable(db);
    this.statusTable = new ResourceTable(db.fenced(fence));
    this.database = db;
  }

  /** A handle on an already opened database. */
  public static DatabaseHandle of(Database db) {
    DatabaseHandle h = new DatabaseHandle();
    h.bind(db);
    return h;
  }

  /**
   * The resources table for status writes (fenced like the records); throws {@link
   * DatabaseUnavailableException} until bound.
   */
  public ResourceTable statusTable() {
    ResourceTable t = statusTable;
    if (t == null) {
      throw notYet();
    }
    return t;
  }

  /**
   * The records repository, for writes (fenced: only the leading hub writes records); throws {@link
   * DatabaseUnavailableException} until bound.
   */
  public RecordsRepository records() {
    RecordsRepository r = records;
    if (r == null) {
      throw notYet();
    }
    return r;
  }

  /** The resources table, to read; throws {@link DatabaseUnavailableException} until bound. */
  public ResourceTable table() {
    ResourceTable t = table;
    if (t == null) {
      throw notYet();
    }
    return t;
  }

  public Optional<Database> database() {
    return Optional.ofNullable(database);
  }

  private static DatabaseUnavailableException notYet() {
    return new DatabaseUnavailableException("the database is not started yet", null);
  }
}
