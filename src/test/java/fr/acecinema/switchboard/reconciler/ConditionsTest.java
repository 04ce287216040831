package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ACCEPTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HEALTHY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ROUTED;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00.750Z");
  private static final Instant T1 = T0.plusSeconds(90);

  private final SiteStatus status = new SiteStatus();

  private static Site site(Long generation) {
    Site site = new Site();
    site.setMetadata(new ObjectMetaBuilder().withName("dijon").withGeneration(generation).build());
    return site;
  }

  private Condition condition(String type) {
    return status.condition(type).orElseThrow();
  }

  @Test
  void setsStatusReasonMessageAndTheResourcesGeneration() {
    Conditions.on(status, site(7L), T0).set(READY, false, "NoBackends", "no Backend declares it");

    Condition ready = condition(READY);
    assertThat(ready.status).isEqualTo(Condition.FALSE);
    assertThat(ready.reason).isEqualTo("NoBackends");
    assertThat(ready.message).isEqualTo("no Backend declares it");
    assertThat(ready.observedGeneration).isEqualTo(7L);
    // Stamped to the second, as the status files have always shown it.
    assertThat(ready.lastTransitionTime).isEqualTo("2026-03-01T10:00:00Z");
  }

  @Test
  void aResourceWithoutGenerationIsObservedAtZero() {
    Conditions.on(status, site(null), T0).unknown(HEALTHY, "ProbePending", "not probed yet");

    assertThat(condition(HEALTHY).status).isEqualTo(Condition.UNKNOWN);
    assertThat(condition(HEALTHY).observedGeneration).isZero();
  }

  @Test
  void keepsTheTransitionTimeWhileTheStatusStaysTheSame() {
    Conditions.on(status, site(1L), T0).set(READY, true, "BackendsReady", "1 of 2 backends");
    Conditions.on(status, site(2L), T1).set(READY, true, "BackendsReady", "2 of 2 backends");

    Condition ready = condition(READY);
    assertThat(ready.lastTransitionTime).isEqualTo("2026-03-01T10:00:00Z");
    // The rest is rewritten: only the time says since when.
    assertThat(ready.message).isEqualTo("2 of 2 backends");
    assertThat(ready.observedGeneration).isEqualTo(2L);
  }

  @Test
  void movesTheTransitionTimeWhenTheStatusFlips() {
    Conditions.on(status, site(1L), T0).set(READY, true, "BackendsReady", "1 of 1 backends");
    Conditions.on(status, site(1L), T1).set(READY, false, "NoHealthyBackends", "none healthy");

    assertThat(condition(READY).lastTransitionTime).isEqualTo("2026-03-01T10:01:30Z");
  }

  @Test
  void unknownAfterFalseIsATransition() {
    Conditions.on(status, site(1L), T0).set(HEALTHY, false, "ProbeFailed", "refused");
    Conditions.on(status, site(1L), T1).unknown(HEALTHY, "ProbePending", "not probed yet");

    assertThat(condition(HEALTHY).status).isEqualTo(Condition.UNKNOWN);
    assertThat(condition(HEALTHY).lastTransitionTime).isEqualTo("2026-03-01T10:01:30Z");
  }

  @Test
  void acceptedIsTrueValid() {
    Conditions.on(status, site(3L), T0).accepted();

    assertThat(condition(ACCEPTED))
        .extracting(c -> c.status, c -> c.reason, c -> c.message, c -> c.observedGeneration)
        .containsExactly(Condition.TRUE, "Valid", "spec is valid", 3L);
  }

  @Test
  void aConditionBuiltElsewhereIsStampedLikeTheOthers() {
    Conditions.on(status, site(4L), T0)
        .set(new Condition(ROUTED, Condition.TRUE, "Pushed", "routes live at revision 9"));

    Condition routed = condition(ROUTED);
    assertThat(routed.observedGeneration).isEqualTo(4L);
    assertThat(routed.lastTransitionTime).isEqualTo("2026-03-01T10:00:00Z");
  }

  @Test
  void oneConditionPerTypeInTheDeclaredOrder() {
    var conditions = Conditions.on(status, site(1L), T0);
    conditions.set(READY, false, "NoBackends", "none");
    conditions.accepted();
    conditions.set(READY, true, "BackendsReady", "1 of 1 backends");

    assertThat(status.conditions).extracting(c -> c.type).containsExactly(ACCEPTED, READY);
  }
}
