package fr.acecinema.switchboard.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventActor;
import com.github.dockerjava.api.model.EventType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerJavaEngineTest {
  private static Event event(String action, Map<String, String> attributes) {
    return new Event()
        .withType(EventType.CONTAINER)
        .withAction(action)
        .withId("abc")
        .withTimenano(1_700_000_000_123_456_789L)
        .withEventActor(new EventActor().withId("abc").withAttributes(attributes));
  }

  @Test
  void aHealthEventCarriesTheStatusAfterTheColon() {
    Optional<ContainerEvent> e =
        DockerJavaEngine.event(event("health_status: unhealthy", Map.of("name", "web1")));

    assertThat(e)
        .contains(
            new ContainerEvent(
                ContainerEvent.Action.HEALTH_STATUS,
                "abc",
                "web1",
                HealthStatus.UNHEALTHY,
                Instant.ofEpochSecond(1_700_000_000L, 123_456_789L),
                Map.of("name", "web1")));
  }

  @Test
  void aStartEventHasTheNameAndLabelsOfItsActor() {
    ContainerEvent e =
        DockerJavaEngine.event(
                event("start", Map.of("name", "web1", "switchboard.port", "8080", "image", "x")))
            .orElseThrow();

    assertThat(e.action()).isEqualTo(ContainerEvent.Action.START);
    assertThat(e.name()).isEqualTo("web1");
    assertThat(e.health()).isEqualTo(HealthStatus.NONE);
    assertThat(e.attributes()).containsEntry("switchboard.port", "8080");
  }

  @Test
  void aKillEventIsDeliveredWithItsSignal() {
    // docker stop sends the stop signal as a kill event before the container dies: the agent
    // drains on it.
    ContainerEvent e =
        DockerJavaEngine.event(event("kill", Map.of("name", "web1", "signal", "15"))).orElseThrow();

    assertThat(e.action()).isEqualTo(ContainerEvent.Action.KILL);
    assertThat(e.attributes()).containsEntry("signal", "15");
  }

  @Test
  void actionsAnAgentDoesNotActOnAreDropped() {
    assertThat(DockerJavaEngine.event(event("exec_start: sh -c true", Map.of()))).isEmpty();
    assertThat(DockerJavaEngine.event(event("attach", Map.of()))).isEmpty();
  }

  @Test
  void unknownEngineWordsAreReadAsUnknownNotAsErrors() {
    assertThat(DockerContainer.State.parse("hibernating")).isEqualTo(DockerContainer.State.UNKNOWN);
    assertThat(DockerContainer.State.parse("running")).isEqualTo(DockerContainer.State.RUNNING);
    assertThat(HealthStatus.parse(" healthy")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(HealthStatus.parse(null)).isEqualTo(HealthStatus.NONE);
  }

  @Test
  void aMissingSocketFailsEveryCallWithItsPath(@TempDir Path dir) {
    Path socket = dir.resolve("docker.sock");
    try (DockerJavaEngine engine = new DockerJavaEngine(socket)) {
      assertThatThrownBy(engine::info)
          .isInstanceOf(DockerEngineException.class)
          .hasMessageContaining("no Docker socket at " + socket);
      assertThatThrownBy(() -> engine.events(new RecordingListener()))
          .isInstanceOf(DockerEngineException.class)
          .hasMessageContaining("no Docker socket at " + socket);
    }
  }

  @Test
  void aSocketNobodyListensOnFailsQuicklyWithItsPath(@TempDir Path dir) throws Exception {
    // A plain file where the socket should be: connecting is refused, as after a crash that left
    // the socket file behind.
    Path socket = java.nio.file.Files.createFile(dir.resolve("docker.sock"));
    try (DockerJavaEngine engine = new DockerJavaEngine(socket)) {
      assertThatThrownBy(engine::containers)
          .isInstanceOf(DockerEngineException.class)
          .hasMessageContaining("cannot list containers on the Docker engine at " + socket);
    }
  }
}
