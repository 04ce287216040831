package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
      assertThat(files).containsExactly(dir.resolve("tokens.json"));
    }
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
    assertThat(TokenStore.in(dir).revoke("late")).isTrue();
    assertThat(server.authenticate(secret)).isEmpty();
  }

  @Test
  void refusesDuplicateAndUnsafeNames() throws Exception {
    TokenStore store = TokenStore.in(dir);
    store.create("ci", Scope.read);
    assertThatThrownBy(() -> store.create("ci", Scope.read)).hasMessageContaining("already exists");
    assertThatThrownBy(() -> store.create("../x", Scope.read)).hasMessageContaining("token name");
    assertThat(store.revoke("nobody")).isFalse();
  }

  @Test
  void scopesIncludeTheOnesBelow() {
    assertThat(Scope.admin.covers(Scope.write)).isTrue();
    assertThat(Scope.write.covers(Scope.read)).isTrue();
    assertThat(Scope.read.covers(Scope.write)).isFalse();
    assertThat(Scope.write.covers(Scope.admin)).isFalse();
  }
}
