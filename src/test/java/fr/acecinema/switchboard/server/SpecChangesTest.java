package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class SpecChangesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void namesEachChangedTopLevelFieldWithItsOldValue() throws Exception {
    assertThat(
            SpecChanges.between(
                json("{\"port\":80,\"drain\":true,\"site\":\"dijon\"}"),
                json("{\"port\":8080,\"site\":\"dijon\",\"weight\":3}")))
        .containsExactly(
            "spec.drain: unset (was true)",
            "spec.port: 8080 (was 80)",
            "spec.weight: 3 (was unset)");
  }

  @Test
  void aNewResourceIsCreatedAndAMetadataOnlyChangeIsStillReported() throws Exception {
    assertThat(SpecChanges.between(null, json("{\"port\":80}"))).containsExactly("created");
    assertThat(SpecChanges.between(json("{\"port\":80}"), json("{\"port\":80}")))
        .containsExactly("metadata");
  }

  @Test
  void longValuesAreCut() throws Exception {
    String hosts = "[\"" + "a".repeat(200) + "\"]";
    assertThat(SpecChanges.between(json("{}"), json("{\"hosts\":" + hosts + "}")).get(0))
        .hasSizeLessThan(SpecChanges.MAX_VALUE + 40)
        .endsWith("… (was unset)");
  }
}
