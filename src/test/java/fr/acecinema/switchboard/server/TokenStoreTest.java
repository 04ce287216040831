package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
  @TempDir Path dir;

  @Test
  void storesOnlyHashesInAFileOnlyTheOwnerCanRead() throws Exception {
    TokenStore store = TokenStore.in(dir);
    TokenStore.Created created = store.create("laptop", Scope.write);
    String text = Files.readString(dir.resolve("tokens.json"));
    assertThat(text).doesNotContain(created.secret()).contains("laptop").contains("sha256");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())))
        .isEqualTo("rw-------");
    assertThat(created.secret()).startsWith("sbt_" + created.token().id() + "_");
    try (var files = Files.list(dir)) {
      assertThat(files)
          .as("the store and its lock file, no temporary file left")
          .containsExactlyInAnyOrder(dir.resolve("tokens.json"), dir.resolve("tokens.json.lock"));
    }
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("tokens.json.lock"))))
        .isEqualTo("rw-------");
  }

  @Test
  void authenticatesTheExactSecretOnly() throws Exception {
    TokenStore store = TokenStore.in(dir);
    String secret = store.create("ci", Scope.read).secret();
    assertThat(store.authenticate(secret)).map(TokenStore.Token::name).contains("ci");
    assertThat(store.authenticate(secret + "x")).isEmpty();
    assertThat(store.authenticate(secret.substring(0, secret.length() - 1))).isEmpty();
    assertThat(store.authenticate("")).isEmpty();
    assertThat(store.authenticate(null)).isEmpty();
  }

  @Test
  void anotherProcessesCreateAndRevokeAreSeenWithoutRestart() throws Exception {
    TokenStore server = TokenStore.in(dir);
    assertThat(server.authenticate("sbt_x")).isEmpty();
    String secret = TokenStore.in(dir).create("late", Scope.admin).secret();
    assertThat(server.authenticate(secret)).isPresent();
    assertThat(TokenStore.in(dir).revoke("late")).map(TokenStore.Token::name).contains("late");
    assertThat(server.authenticate(secret)).isEmpty();
  }

  @Test
  void refusesDuplicateAndUnsafeNames() throws Exception {
    TokenStore store = TokenStore.in(dir);
    store.create("ci", Scope.read);
    assertThatThrownBy(() -> store.create("ci", Scope.read)).hasMessageContaining("already exists");
    assertThatThrownBy(() -> store.create("../x", Scope.read)).hasMessageContaining("token name");
    assertThat(store.revoke("nobody")).isEmpty();
  }

  @Test
  void refusesARevokeThatWouldMatchTwoTokensAndANameThatIsAnotherTokensId() throws Exception {
    TokenStore store = TokenStore.in(dir);
    TokenStore.Token first = store.create("first", Scope.read).token();
    assertThatThrownBy(() -> store.create(first.id(), Scope.read))
        .hasMessageContaining("is the id of token 'first'");
    // A file written by hand (or by an older version) may still hold a name that is another id.
    TokenStore.Token second = store.create("second", Scope.read).token();
    String text = Files.readString(store.file());
    String edited = text.replace("\"name\" : \"second\"", "\"name\" : \"" + first.id() + "\"");
    assertThat(edited).isNotEqualTo(text);
    Files.writeString(store.file(), edited);
    assertThatThrownBy(() -> store.revoke(first.id())).hasMessageContaining("nothing revoked");
    assertThat(store.list()).hasSize(2);
    assertThat(store.revoke(second.id())).map(TokenStore.Token::id).contains(second.id());
    assertThat(store.list()).extracting(TokenStore.Token::id).containsExactly(first.id());
  }

  @Test
  void threadsWithTheirOwnStoresLoseNoChange() throws Exception {
    int threads = 16;
    TokenStore seed = TokenStore.in(dir);
    for (int i = 0; i < threads; i++) {
      seed.create("old-" + i, Scope.admin);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads * 2);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        String n = Integer.toString(i);
        // A store per thread, as a process per command: only the file lock orders them.
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  return TokenStore.in(dir).create("new-" + n, Scope.read);
                }));
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  return TokenStore.in(dir).revoke("old-" + n).orElseThrow();
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      expected.add("new-" + i);
    }
    assertThat(seed.list())
        .extracting(TokenStore.Token::name)
        .as("every create kept, every revoke effective")
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void aServerSeesAChangeThatKeepsSizeModificationTimeAndInode() throws Exception {
    TokenStore server = TokenStore.in(dir);
    String first = TokenStore.in(dir).create("aaaa", Scope.admin).secret();
    String before = Files.readString(server.file());
    TokenStore.in(dir).revoke("aaaa");
    String second = TokenStore.in(dir).create("bbbb", Scope.admin).secret();
    String after = Files.readString(server.file());
    assertThat(after).as("a revoke and a create of a name as long").hasSameSizeAs(before);
    // The two states in one file (same inode) with one modification time, as two changes within
    // one tick of a coarse file system clock would leave them.
    FileTime tick = Files.getLastModifiedTime(server.file());
    Files.writeString(server.file(), before);
    Files.setLastModifiedTime(server.file(), tick);
    assertThat(server.authenticate(first)).isPresent();
    Files.writeString(server.file(), after);
    Files.setLastModifiedTime(server.file(), tick);
    assertThat(server.authenticate(first)).as("revoked").isEmpty();
    assertThat(server.authenticate(second)).as("created").isPresent();
  }

  @Test
  void scopesIncludeTheOnesBelow() {
    assertThat(Scope.admin.covers(Scope.write)).isTrue();
    assertThat(Scope.write.covers(Scope.read)).isTrue();
    assertThat(Scope.read.covers(Scope.write)).isFalse();
    assertThat(Scope.write.covers(Scope.admin)).isFalse();
  }

  @Test
  void anAgentTokenIsBoundToOneSiteThatSurvivesARestartAndCoversNoOtherScope() throws Exception {
    TokenStore.Created created = TokenStore.in(dir).create("dijon-agent", Scope.agent, "dijon");
    TokenStore.Token read = TokenStore.in(dir).authenticate(created.secret()).orElseThrow();
    assertThat(read.scope()).isEqualTo(Scope.agent);
    assertThat(read.site()).isEqualTo("dijon");
    assertThat(Scope.agent.covers(Scope.read)).isFalse();
    assertThat(Scope.agent.covers(Scope.write)).isFalse();
    assertThat(Scope.admin.covers(Scope.agent)).isFalse();
    assertThat(Scope.agent.covers(Scope.agent)).isTrue();
  }

  @Test
  void anAgentTokenNeedsASiteAndOtherScopesRefuseOne() throws Exception {
    TokenStore store = TokenStore.in(dir);
    assertThatThrownBy(() -> store.create("a", Scope.agent, null))
        .hasMessageContaining("--site SITE");
    assertThatThrownBy(() -> store.create("w", Scope.write, "dijon"))
        .hasMessageContaining("--scope agent");
    assertThatThrownBy(() -> store.create("b", Scope.agent, "Dijon/../x"))
        .hasMessageContaining("site 'Dijon/../x'");
    assertThat(store.list()).isEmpty();
  }
}
