package fr.acecinema.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigurationDocsTest {
  @Test
  void committedConfigurationDocsMatchTheConfigClass() throws IOException {
    Path file = ConfigurationDocs.FILE;
    String generated = ConfigurationDocs.markdown();
    if (Boolean.getBoolean("switchboard.writeDocs")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated, StandardCharsets.UTF_8);
    }
    assertThat(file)
        .as("docs/configuration.md is missing; generate it with: %s", ConfigurationDocs.REGENERATE)
        .exists();
    String committed = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(committed)
        .as(
            "docs/configuration.md differs from what SwitchboardConfig generates; regenerate it"
                + " with: %s",
            ConfigurationDocs.REGENERATE)
        .isEqualTo(generated);
  }

  @Test
  void documentsEveryOptionWithItsVariableAndDefault() {
    String md = ConfigurationDocs.markdown();
    assertThat(md)
        .contains("| `--manifests DIR` | `SWITCHBOARD_MANIFESTS` | `/etc/switchboard/manifests` |")
        .contains("| `--listen HOST:PORT` | `SWITCHBOARD_LISTEN` | `127.0.0.1:7070` |")
        .contains("`SWITCHBOARD_DATA_DIR` | `/var/lib/switchboard`")
        .contains("`SWITCHBOARD_RESYNC` | `30s`")
        .contains("`SWITCHBOARD_WORKERS` | `4`")
        .contains("`SWITCHBOARD_LOG_FORMAT` | `text`")
        .contains("`SWITCHBOARD_CADDY_ADMIN` | `http://127.0.0.1:2019`")
        .contains("`SWITCHBOARD_CADDY_LISTEN` | `:80`")
        .contains("`SWITCHBOARD_CADDY_AUTO_HTTPS` | `on`")
        .contains("`SWITCHBOARD_CADDY_SYNC` | `on`")
        .contains("`SWITCHBOARD_DATABASE_URL` | *(empty)*");
  }
}
