package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.reconciler.RoutingState.Outcome;
import fr.acecinema.switchboard.reconciler.RoutingState.ServiceRoute;
import fr.acecinema.switchboard.reconciler.RoutingState.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutingStateTest {
  private static final ServiceRoute API =
      new ServiceRoute("abc123abc123", true, List.of("10.0.0.1:80"), List.of("10.0.0.2:80"), null);
  private static final ServiceRoute WEB =
      new ServiceRoute("def456def456", false, List.of("10.0.0.3:80"), List.of(), null);

  @Test
  void routedServiceCarriesItsRevisionAndWhetherThisProcessPushedIt() {
    RoutingState state = new RoutingState();
    state.update(new Snapshot(Outcome.PUSHED, "r1", null, Map.of("api", API, "web", WEB)));
    var api = state.routed("api");
    assertThat(api.condition().status).isEqualTo("True");
    assertThat(api.condition().reason).isEqualTo("Pushed");
    assertThat(api.condition().message).contains("abc123abc123", "10.0.0.1:80", "fallback");
    assertThat(api.revision()).isEqualTo("abc123abc123");
    assertThat(state.routed("web").condition().reason).isEqualTo("InSync");
  }

  @Test
  void unreachableAndRejectedMakeEveryServiceNotRoutedWithCaddysMessage() {
    RoutingState state = new RoutingState();
    state.update(new Snapshot(Outcome.UNREACHABLE, null, "connection refused", Map.of("api", API)));
    assertThat(state.routed("api").condition().reason).isEqualTo("CaddyUnreachable");
    assertThat(state.routed("api").condition().message).isEqualTo("connection refused");
    assertThat(state.routed("api").revision()).isNull();
    state.update(new Snapshot(Outcome.REJECTED, "r0", "json: unknown field", Map.of("api", API)));
    assertThat(state.routed("api").condition().status).isEqualTo("False");
    assertThat(state.routed("api").condition().reason).isEqualTo("CaddyRejected");
    assertThat(state.routed("api").condition().message).contains("json: unknown field");
  }

  @Test
  void serviceWithoutUpstreamsIsNotRoutedAndUnknownServiceIsPending() {
    RoutingState state = new RoutingState();
    assertThat(state.routed("api").condition().reason).isEqualTo("RoutingPending");
    state.update(
        new Snapshot(
            Outcome.IN_SYNC,
            "r",
            null,
            Map.of("api", new ServiceRoute("aaa", false, List.of(), List.of(), null))));
    assertThat(state.routed("api").condition().reason).isEqualTo("NoReadyBackends");
    assertThat(state.routed("other").condition().status).isEqualTo("Unknown");
  }

  @Test
  void listenersHearOnlyTheServicesWhoseViewChanged() {
    RoutingState state = new RoutingState();
    List<Set<String>> heard = new ArrayList<>();
    state.addListener(heard::add);
    state.update(new Snapshot(Outcome.PUSHED, "r1", null, Map.of("api", API, "web", WEB)));
    state.update(new Snapshot(Outcome.PUSHED, "r1", null, Map.of("api", API, "web", WEB)));
    ServiceRoute api2 =
        new ServiceRoute("999999999999", true, List.of("10.0.0.9:80"), List.of(), null);
    state.update(new Snapshot(Outcome.PUSHED, "r2", null, Map.of("api", api2, "web", WEB)));
    assertThat(heard).containsExactly(Set.of("api", "web"), Set.of("api"));
  }
}
