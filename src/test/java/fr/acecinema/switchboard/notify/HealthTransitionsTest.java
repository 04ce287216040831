package fr.acecinema.switchboard.notify;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.operator.SwitchboardOperator;
import fr.acecinema.switchboard.runtime.ResourceKey;
import fr.acecinema.switchboard.runtime.ResourceStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthTransitionsTest {
  private final List<WebhookEvent> events = new ArrayList<>();
  private final ResourceStore store = new ResourceStore();

  HealthTransitionsTest() {
    store.addListener(
        new HealthTransitions(events::add, SwitchboardOperator.mapper(), Clock.systemUTC()));
  }

  private void put(String healthy) {
    Backend b = new Backend();
    b.getMetadata().setName("api-dijon");
    b.getMetadata().setGeneration(1L);
    if (healthy != null) {
      BackendStatus status = new BackendStatus();
      status.conditions.add(
          new Condition(
              "Healthy", healthy, healthy.equals("True") ? "ProbeSucceeded" : "ProbeFailed", ""));
      b.setStatus(status);
    }
    store.put(b);
  }

  @Test
  void startUpPagesNobodyThenDownAndRecoveryEachSendOneEvent() {
    put(null);
    put("False"); // pending first probe
    put("True");
    assertThat(events).isEmpty();
    put("False");
    put("False");
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.type()).isEqualTo("BackendDown");
              assertThat(e.reason()).isEqualTo("ProbeFailed");
              assertThat(e.previousStatus()).isEqualTo("True");
            });
    put("True");
    assertThat(events).extracting(WebhookEvent::type).containsExactly("BackendDown", "BackendUp");
  }

  @Test
  void aDeletedBackendForgetsItWasDown() {
    put("True");
    put("False");
    store.remove(new ResourceKey("Backend", "api-dijon"));
    put("False");
    put("True");
    assertThat(events).extracting(WebhookEvent::type).containsExactly("BackendDown");
  }
}
