package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.config.SwitchboardConfig.LogFormat;
import fr.acecinema.switchboard.config.SwitchboardConfig.LogLevel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogSetupTest {
  private final PrintStream originalErr = System.err;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void restore() {
    System.setErr(originalErr);
    LogSetup.apply(LogFormat.text, LogLevel.info);
  }

  private String logWith(LogFormat format, LogLevel level) {
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    LogSetup.apply(format, level);
    var log = LoggerFactory.getLogger("fr.acecinema.switchboard.test");
    log.debug("debug line");
    log.atInfo().addKeyValue("backend", "api-dijon").log("backend {} is healthy", "api-dijon");
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void writesOneJsonObjectPerLineWhenFormatIsJson() throws Exception {
    String out = logWith(LogFormat.json, LogLevel.info);
    String line = out.lines().filter(l -> l.contains("healthy")).findFirst().orElseThrow();
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("loggerName").asText()).isEqualTo("fr.acecinema.switchboard.test");
    assertThat(json.path("formattedMessage").asText()).isEqualTo("backend api-dijon is healthy");
    assertThat(json.toString()).contains("api-dijon");
    assertThat(out).doesNotContain("debug line");
  }

  @Test
  void writesReadableLinesWhenFormatIsText() {
    String out = logWith(LogFormat.text, LogLevel.debug);
    assertThat(out).contains("INFO ").contains("backend api-dijon is healthy backend=api-dijon");
    assertThat(out).contains("DEBUG").contains("- debug line\n");
    assertThat(out.lines().filter(l -> l.startsWith("{"))).isEmpty();
  }
}
