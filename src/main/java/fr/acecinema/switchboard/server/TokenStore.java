package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Bearer tokens in {@code DATA_DIR/tokens.json}: only SHA-256 hashes are stored, the secret is
 * shown once by {@link #create}.
 *
 * <p>Every change is a read-modify-write under an exclusive lock on {@code tokens.json.lock} beside
 * the file (a {@link FileChannel#lock} between processes, plus a lock per file inside this one,
 * since a JVM cannot hold two locks on one file), and the new content replaces the file atomically
 * (temporary file in the same directory, fsync, rename) with mode 600. So parallel {@code sbctl
 * token create/revoke}, in any number of processes, each see the others' changes: none is lost.
 * Readers take no lock: a rename shows them the old file or the new one, whole.
 *
 * <p>A running server re-reads the file when its modification time, size or inode changes, and on
 * every call while the file is younger than {@link #SETTLED}: two changes within one tick of a
 * coarse file system clock that leave the size unchanged are still seen.
 */
public final class TokenStore {
  /** File name under the data dir. */
  public static final String FILE = "tokens.json";

  /** The lock file beside it; kept (deleting a lock file lets two processes hold "the" lock). */
  public static final String LOCK = FILE + ".lock";

  /** How long a change waits for another process's change before it gives up. */
  static final Duration LOCK_WAIT = Duration.ofSeconds(30);

  /** A file modified less than this long ago is re-read on every authentication. */
  static final Duration SETTLED = Duration.ofSeconds(2);

  private static final String PREFIX = "sbt_";
  private static final String TEMP_PREFIX = "." + FILE + ".";
  private static final String TEMP_SUFFIX = ".tmp";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern SITE =
      Pattern.compile(fr.acecinema.switchboard.api.v1alpha1.BackendSpec.NAME_PATTERN);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS =
      new ConcurrentHashMap<>();

  /**
   * A token as stored, without its secret.
   *
   * @param id 8 hex characters, also embedded in the secret so logs and lists can name a token
   * @param name what the operator called it, e.g. {@code laptop} or {@code ci}
   * @param scope what it may do
   * @param created when it was created
   * @param site the one site an {@code agent} token acts for; null for every other scope
   */
  public record Token(String id, String name, Scope scope, Instant created, String site) {
    /** A token of a scope that is not bound to a site. */
    public Token(String id, String name, Scope scope, Instant created) {
      this(id, name, scope, created, null);
    }
  }

  /** A new token and its secret, which is never stored and cannot be shown again. */
  public record Created(Token token, String secret) {}

  private record Entry(Token token, byte[] hash) {}

  private record Loaded(
      FileTime modified, long size, Object key, boolean settled, List<Entry> entries) {}

  /** A change made under the lock. */
  private interface Change<T> {
    T apply(List<Entry> entries) throws IOException;
  }

  private final Path file;
  private final Clock clock;
  private volatile Loaded loaded = new Loaded(null, -1, null, false, List.of());

  public TokenStore(Path file, Clock clock) {
    this.file = file.toAbsolutePath().normalize();
    this.clock = clock;
  }

  /** The store of a data dir. */
  public static TokenStore in(Path dataDir) {
    return new TokenStore(dataDir.resolve(FILE), Clock.systemUTC());
  }

  public Path file() {
    return file;
  }

  /**
   * Creates a token; the secret in the result is the only copy.
   *
   * @throws IllegalArgumentException for a name that is unsafe or already taken
   * @throws IOException when the file cannot be read, locked or written: nothing was created
   */
  public Created create(String name, Scope scope) throws IOException {
    return create(name, scope, null);
  }

  /**
   * Creates a token; an {@code agent} token needs the {@code site} it acts for, the other scopes
   * none.
   *
   * @throws IllegalArgumentException for a name that is unsafe or already taken, or a site that
   *     does not fit the scope
   */
  public Created create(String name, Scope scope, String site) throws IOException {
    if ((scope == Scope.agent) != (site != null)) {
      throw new IllegalArgumentException(
          scope == Scope.agent
              ? "an agent token acts for one site; name it with --site SITE"
              : "--site binds agent tokens only; use --scope agent, or drop --site");
    }
    if (site != null && !SITE.matcher(site).matches()) {
      throw new IllegalArgumentException(
          "site '" + site + "': use the Site's name (lower-case letters, digits and '-')");
    }
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "token name '"
              + name
              + "': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    return change(
        entries -> {
          List<Entry> taken = matching(entries, name);
          if (!taken.isEmpty()) {
            Token t = taken.get(0).token();
            throw new IllegalArgumentException(
                t.name().equals(name)
                    ? "a token named '"
                        + name
                        + "' already exists; revoke it first or choose another name"
                    : "'" + name + "' is the id of token '" + t.name() + "'; choose another name");
          }
          String id;
          do {
            byte[] idBytes = new byte[4];
            RANDOM.nextBytes(idBytes);
            id = HexFormat.of().formatHex(idBytes);
          } while (!matching(entries, id).isEmpty());
          byte[] secretBytes = new byte[32];
          RANDOM.nextBytes(secretBytes);
          String secret =
              PREFIX
                  + id
                  + "_"
                  + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
          Token token = new Token(id, name, scope, clock.instant(), site);
          entries.add(new Entry(token, sha256(secret)));
          write(entries);
          return new Created(token, secret);
        });
  }

  /**
   * Revokes the token with this id or name.
   *
   * @return the revoked token, empty when there is none (nothing was written)
   * @throws IllegalArgumentException when the text is the id of one token and the name of another:
   *     nothing is revoked, the caller names the one it means
   * @throws IOException when the file cannot be read, locked or written: nothing was revoked
   */
  public Optional<Token> revoke(String idOrName) throws IOException {
    return change(
        entries -> {
          List<Entry> matches = matching(entries, idOrName);
          if (matches.isEmpty()) {
            return Optional.empty();
          }
          if (matches.size() > 1) {
            throw new IllegalArgumentException(
                "'"
                    + idOrName
                    + "' is the id or name of "
                    + matches.size()
                    + " tokens ("
                    + String.join(
                        ", ",
                        matches.stream().map(e -> e.token().name() + " " + e.token().id()).toList())
                    + "); nothing revoked: give the other name or id of the one you mean");
          }
          entries.remove(matches.get(0));
          write(entries);
          return Optional.of(matches.get(0).token());
        });
  }

  /** Every token, oldest first, without secrets. */
  public List<Token> list() throws IOException {
    return read().stream().map(Entry::token).toList();
  }

  /**
   * The token whose secret is {@code presented}, if any. Every stored hash is compared in constant
   * time (no early exit), so timing reveals neither which token nor how much of it matched.
   */
  public Optional<Token> authenticate(String presented) {
    if (presented == null || presented.isEmpty() || presented.length() > 256) {
      return Optional.empty();
    }
    List<Entry> entries;
    try {
      entries = current();
    } catch (IOException | RuntimeException e) {
      // Fail closed: an unreadable token file authenticates nobody.
      return Optional.empty();
    }
    byte[] hash = sha256(presented);
    Token found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(hash, e.hash()) && found == null) {
        found = e.token();
      }
    }
    return Optional.ofNullable(found);
  }

  private static List<Entry> matching(List<Entry> entries, String idOrName) {
    return entries.stream()
        .filter(e -> e.token().id().equals(idOrName) || e.token().name().equals(idOrName))
        .toList();
  }

  private List<Entry> current() throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    Loaded l = loaded;
    if (l.settled()
        && attributes.lastModifiedTime().equals(l.modified())
        && attributes.size() == l.size()
        && Objects.equals(attributes.fileKey(), l.key())) {
      return l.entries();
    }
    // Judged before reading: a change after this point gets a newer modification time.
    boolean settled =
        attributes.lastModifiedTime().toMillis() < System.currentTimeMillis() - SETTLED.toMillis();
    l =
        new Loaded(
            attributes.lastModifiedTime(),
            attributes.size(),
            attributes.fileKey(),
            settled,
            read());
    loaded = l;
    return l.entries();
  }

  /** Runs {@code change} on the current entries, alone among every process and thread. */
  private <T> T change(Change<T> change) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Path lockFile = dir.resolve(file.getFileName() + ".lock");
    ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
    try {
      if (!local.tryLock(LOCK_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw busy(lockFile);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + lockFile);
    }
    try (FileChannel channel = open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = acquire(channel, lockFile, deadline)) {
      removeStaleTemporaries(dir);
      return change.apply(new ArrayList<>(read()));
    } finally {
      local.unlock();
    }
  }

  private static FileLock acquire(FileChannel channel, Path lockFile, long deadline)
      throws IOException {
    while (true) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() - deadline > 0) {
        throw busy(lockFile);
      }
      try {
        // FileChannel.lock has no timeout: tryLock, then a short jittered pause, so a lock held
        // by a stuck process ends in a clear error at the deadline instead of a hang.
        Thread.sleep(5 + RANDOM.nextInt(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + lockFile);
      }
    }
  }

  private static IOException busy(Path lockFile) {
    return new IOException(
        "another process has held the token lock "
            + lockFile
            + " for more than "
            + LOCK_WAIT.toSeconds()
            + " s; nothing was changed: retry, or look for a stuck 'sbctl token' process");
  }

  /** Temporary files of a writer that died before its rename; only called under the lock. */
  private static void removeStaleTemporaries(Path dir) throws IOException {
    try (DirectoryStream<Path> temps =
        Files.newDirectoryStream(dir, TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
      for (Path t : temps) {
        Files.deleteIfExists(t);
      }
    }
  }

  /** A file created with mode 600 from the start (where POSIX modes exist). */
  private static FileChannel open(Path path, OpenOption... options) throws IOException {
    Set<OpenOption> set = Set.of(options);
    FileAttribute<?> ownerOnly =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    try {
      return FileChannel.open(path, set, ownerOnly);
    } catch (UnsupportedOperationException e) {
      return FileChannel.open(path, set);
    }
  }

  private List<Entry> read() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>();
    try {
      JsonNode root = JSON.readTree(bytes);
      for (JsonNode t : root.path("tokens")) {
        out.add(
            new Entry(
                new Token(
                    t.path("id").asText(),
                    t.path("name").asText(),
                    Scope.valueOf(t.path("scope").asText("read")),
                    Instant.parse(t.path("created").asText("1970-01-01T00:00:00Z")),
                    t.hasNonNull("site") ? t.path("site").asText() : null),
                HexFormat.of().parseHex(t.path("sha256").asText())));
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": not a token file (" + e.getMessage() + ")", e);
    }
    return out;
  }

  private void write(List<Entry> entries) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode tokens = root.putArray("tokens");
    for (Entry e : entries) {
      ObjectNode t =
          tokens
              .addObject()
              .put("id", e.token().id())
              .put("name", e.token().name())
              .put("scope", e.token().scope().name())
              .put("created", e.token().created().toString());
      if (e.token().site() != null) {
        t.put("site", e.token().site());
      }
      t.put("sha256", HexFormat.of().formatHex(e.hash()));
    }
    Path dir = file.getParent();
    Path temp = dir.resolve(TEMP_PREFIX + Long.toHexString(RANDOM.nextLong()) + TEMP_SUFFIX);
    try {
      try (FileChannel out = open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(JSON.writeValueAsBytes(root));
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      } catch (FileAlreadyExistsException e) {
        throw new IOException("temporary token file " + temp + " exists; retry", e);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDirectory(dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Makes the rename durable; best effort where a directory cannot be opened. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | RuntimeException e) {
      // Not every platform lets a directory be opened; the rename itself is still atomic.
    }
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
