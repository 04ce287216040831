package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  private static final Condition RECORDS_DOWN =
      new Condition("RecordsSynced", Condition.FALSE, "DatabaseUnavailable", "refused");

  @Test
  void aDatabaseOutageIsListedButLeavesTheProcessReady() {
    Readiness r = new Readiness(true, List.of(ProcessConditions.ready(true, false), RECORDS_DOWN));
    JsonNode body = r.readyzBody();
    assertThat(body.path("status").asText()).isEqualTo("ready");
    assertThat(body.has("reason")).isFalse();
    assertThat(body.at("/conditions/0/type").asText()).isEqualTo("Ready");
    assertThat(body.at("/conditions/1/reason").asText()).isEqualTo("DatabaseUnavailable");
    // No lastTransitionTime known: the field is left out rather than sent as null.
    assertThat(body.at("/conditions/1").has("lastTransitionTime")).isFalse();
  }

  @Test
  void notReadyCarriesTheReadyMessageAsReason() {
    JsonNode body = Readiness.of(false).readyzBody();
    assertThat(body.path("status").asText()).isEqualTo("not ready");
    assertThat(body.path("reason").asText()).isEqualTo("initial scan not finished");
  }

  @Test
  void stoppingTurnsReadyFalseAndKeepsTheOtherConditions() {
    Readiness r =
        new Readiness(true, List.of(ProcessConditions.ready(true, false), RECORDS_DOWN)).stopping();
    assertThat(r.ready()).isFalse();
    assertThat(r.conditions()).hasSize(2);
    assertThat(r.condition("Ready").orElseThrow().reason).isEqualTo(ProcessConditions.STOPPING);
    assertThat(r.condition("RecordsSynced")).contains(RECORDS_DOWN);
  }

  @Test
  void healthzSaysOkEvenWhenNotReady() {
    JsonNode body = Readiness.of(false).healthzBody();
    assertThat(body.path("status").asText()).isEqualTo("ok");
    assertThat(body.at("/conditions/0/status").asText()).isEqualTo("False");
  }
}
