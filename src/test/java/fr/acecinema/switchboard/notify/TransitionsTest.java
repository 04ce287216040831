package fr.acecinema.switchboard.notify;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.runtime.ResourceStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransitionsTest {
  private record Recorded(ResourceKey key, EventType type, String reason, String message) {}

  private final List<WebhookEvent> hooks = new ArrayList<>();
  private final List<Recorded> events = new ArrayList<>();
  private final ResourceStore store = new ResourceStore();

  TransitionsTest() {
    store.addListener(
        new Transitions(
            hooks::add,
            (key, type, reason, message) -> events.add(new Recorded(key, type, reason, message)),
            Clock.systemUTC()));
  }

  /** A backend whose Healthy and Ready conditions are given as status/reason, or null for none. */
  private void backend(String healthy, String ready) {
    Backend b = new Backend();
    b.getMetadata().setName("api-dijon");
    b.getMetadata().setGeneration(1L);
    BackendStatus status = new BackendStatus();
    if (healthy != null) {
      status.conditions.add(condition("Healthy", healthy));
    }
    if (ready != null) {
      status.conditions.add(condition("Ready", ready));
    }
    b.setStatus(status);
    store.put(b);
  }

  private void site(String ready) {
    Site s = new Site();
    s.getMetadata().setName("dijon");
    s.getMetadata().setGeneration(1L);
    SiteStatus status = new SiteStatus();
    status.conditions.add(condition("Ready", ready));
    s.setStatus(status);
    store.put(s);
  }

  private static Condition condition(String type, String statusAndReason) {
    String[] parts = statusAndReason.split("/");
    return new Condition(type, parts[0], parts[1], "because");
  }

  private List<String> types() {
    return hooks.stream().map(WebhookEvent::type).toList();
  }

  @Test
  void startUpPagesNobodyThenOneDownAndOneUpThoughHealthyAndReadyBothFlip() {
    backend(null, null);
    backend("Unknown/ProbePending", "False/ProbePending");
    backend("True/ProbeSucceeded", "True/Serving");
    assertThat(hooks).isEmpty();

    backend("False/ProbeFailed", "False/ProbeFailed");
    backend("False/ProbeFailed", "False/PortClosed"); // still down, another reason
    backend("True/ProbeSucceeded", "True/Serving");

    assertThat(types()).containsExactly("BackendDown", "BackendUp");
    WebhookEvent down = hooks.get(0);
    assertThat(down.condition()).isEqualTo("Ready");
    assertThat(down.status()).isEqualTo("False");
    assertThat(down.previousStatus()).isEqualTo("True");
    assertThat(down.reason()).isEqualTo("ProbeFailed");
    assertThat(events)
        .extracting(Recorded::type, Recorded::reason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(EventType.WARNING, "BackendDown"),
            org.assertj.core.groups.Tuple.tuple(EventType.NORMAL, "BackendUp"));
    assertThat(events.get(0).message()).isEqualTo("Ready=False (ProbeFailed): because");
  }

  @Test
  void aStatusReadAtStartUpIsNotATransitionButWhatFollowsIs() {
    backend("False/ProbeFailed", "False/ProbeFailed"); // written by the process before
    backend("True/ProbeSucceeded", "True/Serving");
    assertThat(types()).containsExactly("BackendUp");
  }

  @Test
  void aFirstFailedProbeIsNoDownAndGoingThroughPendingComparesWithTheLastKnownState() {
    backend("Unknown/ProbePending", "False/ProbePending");
    backend("False/ProbeFailed", "False/ProbeFailed");
    assertThat(hooks).isEmpty();
    backend("True/ProbeSucceeded", "True/Serving");
    backend("Unknown/ProbePending", "False/ProbePending"); // new address, not probed yet
    backend("True/ProbeSucceeded", "True/Serving");
    assertThat(types()).isEmpty();
  }

  @Test
  void drainAndUndrainAreTheirOwnTransitionsNotADown() {
    backend("True/ProbeSucceeded", "True/Serving");
    backend("True/ProbeSucceeded", "False/Draining");
    backend("True/ProbeSucceeded", "True/Serving");
    assertThat(types()).containsExactly("BackendDrained", "BackendUndrained");
    assertThat(events)
        .extracting(Recorded::type)
        .containsExactly(EventType.NORMAL, EventType.NORMAL);
  }

  @Test
  void aBackendThatDiedWhileDrainedIsDownWhenUndrained() {
    backend("True/ProbeSucceeded", "True/Serving");
    backend("True/ProbeSucceeded", "False/Draining");
    backend("False/ProbeFailed", "False/Draining");
    backend("False/ProbeFailed", "False/ProbeFailed");
    assertThat(types()).containsExactly("BackendDrained", "BackendUndrained", "BackendDown");
  }

  @Test
  void maintenanceIsTheSitesOwnTransitionAndItsBackendsSayNothing() {
    site("True/BackendsReady");
    backend("True/ProbeSucceeded", "True/Serving");
    site("False/SiteMaintenance");
    backend("True/ProbeSucceeded", "False/SiteMaintenance");
    backend("False/ProbeFailed", "False/SiteMaintenance"); // stopped for the works
    backend("True/ProbeSucceeded", "False/SiteMaintenance");
    site("True/BackendsReady");
    backend("True/ProbeSucceeded", "True/Serving");
    assertThat(types()).containsExactly("SiteMaintenanceStarted", "SiteMaintenanceEnded");
    assertThat(hooks).allMatch(h -> h.kind().equals("Site"));
  }

  @Test
  void aSiteWithoutHealthyBackendsIsDownAndBackWhenOneServes() {
    site("True/BackendsReady");
    site("False/NoHealthyBackends");
    site("False/Unreachable");
    site("True/BackendsReady");
    site("False/NoBackends"); // emptied by its operator: nothing to judge
    assertThat(types()).containsExactly("SiteDown", "SiteUp");
  }

  @Test
  void aRemovedResourceStartsAfreshWhenDeclaredAgain() {
    backend("True/ProbeSucceeded", "True/Serving");
    store.remove(new ResourceKey("Backend", "api-dijon"));
    backend("False/ProbeFailed", "False/ProbeFailed");
    assertThat(hooks).isEmpty();
  }

  /** A follower hub: its transitions reach nobody until it leads; then it catches up. */
  private final class Follower {
    final java.util.concurrent.atomic.AtomicBoolean leading =
        new java.util.concurrent.atomic.AtomicBoolean();
    final List<String> told = new ArrayList<>();
    final ResourceStore store = new ResourceStore();
    final Transitions transitions =
        new Transitions(
            e -> {
              if (leading.get()) {
                told.add(e.type() + " " + e.name());
              }
            },
            (key, type, reason, message) -> {},
            Clock.systemUTC(),
            leading::get);

    Follower() {
      store.addListener(transitions);
    }

    void backend(String ready) {
      Backend b = new Backend();
      b.getMetadata().setName("api-dijon");
      b.getMetadata().setGeneration(1L);
      BackendStatus status = new BackendStatus();
      status.conditions.add(condition("Ready", ready));
      b.setStatus(status);
      store.put(b);
    }

    int leads(String lastRecorded, java.time.Instant at) {
      leading.set(true);
      return transitions.catchUp(
          key ->
              java.util.Optional.ofNullable(lastRecorded)
                  .map(
                      r ->
                          new fr.acecinema.switchboard.postgres.EventRecord(
                              key.kind(), key.name(), EventType.WARNING, r, "", 1, at, at)));
    }
  }

  @Test
  void aHubTakingTheLeadTellsTheDownThatHappenedWhileNoHubLedOnceAndTheUpAfter() {
    Follower f = new Follower();
    f.backend("True/Serving");
    f.backend("False/ProbeFailed"); // the leader is dead; this hub does not lead yet: told nobody
    assertThat(f.told).isEmpty();
    assertThat(f.leads("BackendUp", java.time.Instant.now().minusSeconds(60))).isEqualTo(1);
    assertThat(f.told).containsExactly("BackendDown api-dijon");
    // Leading on (the records may not have the Down yet): nothing twice, and the Up as usual.
    assertThat(f.leads("BackendUp", java.time.Instant.now().minusSeconds(60))).isZero();
    f.backend("True/Serving");
    assertThat(f.told).containsExactly("BackendDown api-dijon", "BackendUp api-dijon");
  }

  @Test
  void aHubTakingTheLeadTellsTheUpOfWhatTheDeadLeaderToldDown() {
    Follower f = new Follower();
    f.backend("False/ProbeFailed");
    f.backend("True/Serving");
    assertThat(f.leads("BackendDown", java.time.Instant.now())).isEqualTo(1);
    assertThat(f.told).containsExactly("BackendUp api-dijon");
  }

  @Test
  void nothingIsToldLateWhenWhatWasToldLastIsWhatTheHubSees() {
    Follower neverUp = new Follower();
    neverUp.backend("False/ProbeFailed"); // first sight down, never told anything: pages nobody
    assertThat(neverUp.leads(null, null)).isZero();
    Follower same = new Follower();
    same.backend("True/Serving");
    same.backend("False/ProbeFailed");
    assertThat(same.leads("BackendDown", java.time.Instant.now())).isZero();
    Follower up = new Follower();
    up.backend("True/Serving");
    assertThat(up.leads(null, null)).isZero();
    assertThat(neverUp.told).isEmpty();
    assertThat(same.told).isEmpty();
    assertThat(up.told).isEmpty();
  }
}
