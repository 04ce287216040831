package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JdbcTargetTest {
  @Test
  void turnsALibpqUrlIntoJdbcUrlAndCredentials() {
    JdbcTarget t =
        JdbcTarget.parse("postgresql://sb:s%40cret@db.internal:5433/switchboard?sslmode=require");
    assertThat(t.jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.internal:5433/switchboard?sslmode=require");
    assertThat(t.user()).isEqualTo("sb");
    assertThat(t.password()).isEqualTo("s@cret");
  }

  @Test
  void acceptsThePostgresSchemeWithoutPortOrPassword() {
    JdbcTarget t = JdbcTarget.parse("postgres://sb@db/switchboard");
    assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db/switchboard");
    assertThat(t.user()).isEqualTo("sb");
    assertThat(t.password()).isNull();
  }

  @Test
  void passesJdbcUrlsThrough() {
    JdbcTarget t = JdbcTarget.parse(" jdbc:postgresql://h:1/d?user=u ");
    assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://h:1/d?user=u");
    assertThat(t.user()).isNull();
  }

  @Test
  void rejectsOtherSchemesNamingTheExpectedFormWithoutLeakingThePassword() {
    assertThatThrownBy(() -> JdbcTarget.parse("mysql://u:hunter2@h/d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("postgresql://user:password@host:5432/dbname")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void rejectsUrlsWithoutHost() {
    assertThatThrownBy(() -> JdbcTarget.parse("postgresql:///switchboard"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void neverPrintsThePassword() {
    assertThat(JdbcTarget.parse("postgresql://u:hunter2@h/d").toString()).doesNotContain("hunter2");
    assertThat(JdbcTarget.redact("jdbc:postgresql://h/d?user=u&password=hunter2&x=1"))
        .isEqualTo("jdbc:postgresql://h/d?user=u&password=***&x=1");
  }
}
