package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Bearer tokens in {@code DATA_DIR/tokens.json}: only SHA-256 hashes are stored, the secret is
 * shown once by {@link #create}. The file is replaced atomically (temporary file + rename) with
 * mode 600. A running server re-reads it when its modification time or size changes, so {@code
 * sbctl token create/revoke} take effect without a restart.
 */
public final class TokenStore {
  /** File name under the data dir. */
  public static final String FILE = "tokens.json";

  private static final String PREFIX = "sbt_";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A token as stored, without its secret.
   *
   * @param id 8 hex characters, also embedded in the secret so logs and lists can name a token
   * @param name what the operator called it, e.g. {@code laptop} or {@code ci}
   * @param scope what it may do
   * @param created when it was created
   */
  public record Token(String id, String name, Scope scope, Instant created) {}

  /** A new token and its secret, which is never stored and cannot be shown again. */
  public record Created(Token token, String secret) {}

  private record Entry(Token token, byte[] hash) {}

  private record Loaded(FileTime modified, long size, List<Entry> entries) {}

  private final Path file;
  private final Clock clock;
  private volatile Loaded loaded = new Loaded(null, -1, List.of());

  public TokenStore(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  /** The store of a data dir. */
  public static TokenStore in(Path dataDir) {
    return new TokenStore(dataDir.resolve(FILE), Clock.systemUTC());
  }

  public Path file() {
    return file;
  }

  /** Creates a token; the secret in the result is the only copy. */
  public synchronized Created create(String name, Scope scope) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "token name '"
              + name
              + "': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
    List<Entry> entries = new ArrayList<>(read());
    if (entries.stream().anyMatch(e -> e.token().name().equals(name))) {
      throw new IllegalArgumentException(
          "a token named '" + name + "' already exists; revoke it first or choose another name");
    }
    byte[] idBytes = new byte[4];
    RANDOM.nextBytes(idBytes);
    String id = HexFormat.of().formatHex(idBytes);
    byte[] secretBytes = new byte[32];
    RANDOM.nextBytes(secretBytes);
    String secret =
        PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    Token token = new Token(id, name, scope, clock.instant());
    entries.add(new Entry(token, sha256(secret)));
    write(entries);
    return new Created(token, secret);
  }

  /**
   * Revokes the token with this id or name.
   *
   * @return false when there is none
   */
  public synchronized boolean revoke(String idOrName) throws IOException {
    List<Entry> entries = new ArrayList<>(read());
    boolean removed =
        entries.removeIf(e -> e.token().id().equals(idOrName) || e.token().name().equals(idOrName));
    if (removed) {
      write(entries);
    }
    return removed;
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
    } catch (IOException e) {
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

  private List<Entry> current() throws IOException {
    FileTime modified;
    long size;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    Loaded l = loaded;
    if (!modified.equals(l.modified()) || size != l.size()) {
      l = new Loaded(modified, size, read());
      loaded = l;
    }
    return l.entries();
  }

  private List<Entry> read() throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IOException(file + ": not a token file (" + e.getMessage() + ")", e);
    }
    List<Entry> out = new ArrayList<>();
    for (JsonNode t : root.path("tokens")) {
      out.add(
          new Entry(
              new Token(
                  t.path("id").asText(),
                  t.path("name").asText(),
                  Scope.valueOf(t.path("scope").asText("read")),
                  Instant.parse(t.path("created").asText("1970-01-01T00:00:00Z"))),
              HexFormat.of().parseHex(t.path("sha256").asText())));
    }
    return out;
  }

  private void write(List<Entry> entries) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode tokens = root.putArray("tokens");
    for (Entry e : entries) {
      tokens
          .addObject()
          .put("id", e.token().id())
          .put("name", e.token().name())
          .put("scope", e.token().scope().name())
          .put("created", e.token().created().toString())
          .put("sha256", HexFormat.of().formatHex(e.hash()));
    }
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = dir.resolve("." + FILE + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
    try {
      // Created with mode 600 from the start, so the hashes are never readable by others.
      try {
        Files.createFile(
            temp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(temp);
      } catch (FileAlreadyExistsException e) {
        throw new IOException("temporary token file " + temp + " exists; retry", e);
      }
      Files.write(temp, JSON.writeValueAsBytes(root));
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
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
