package fr.acecinema.switchboard.reconciler.records;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Template;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision.State;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeploymentRevisionsTest {
  private static final ResourceKey KEY = new ResourceKey("Deployment", "api");
  private static final Instant NOW = Instant.parse("2026-05-01T10:05:00Z");
  private static final String STARTED = "2026-05-01T10:04:00Z";

  private final List<DeploymentRevision> recorded = new ArrayList<>();
  private final DeploymentRevisions listener =
      new DeploymentRevisions(recorded::add, Clock.fixed(NOW, ZoneOffset.UTC));

  private static Template template(int revision, String image) {
    Template t = new Template();
    t.revision = revision;
    t.hash = "h" + revision;
    t.image = image;
    t.port = 8080;
    t.env = Map.of("LOG", "info");
    return t;
  }

  /** A Deployment whose status holds these revisions and conditions (type/status/reason). */
  private static Deployment deployment(Template current, Template previous, String... conditions) {
    Deployment d = new Deployment();
    d.setMetadata(new ObjectMetaBuilder().withName("api").build());
    DeploymentStatus s = new DeploymentStatus();
    s.current = current;
    s.previous = previous;
    s.rolloutStarted = STARTED;
    for (String c : conditions) {
      String[] p = c.split("/");
      s.conditions.add(new Condition(p[0], p[1], p[2], "message"));
    }
    d.setStatus(s);
    return d;
  }

  /** After a rollback from r2 and once r1 serves everywhere again. */
  private static Deployment backToRevision1(Template r1, Template r2) {
    return deployment(
        r1, r2, "Progressing/False/RolloutComplete", "RolledBack/True/ProgressDeadlineExceeded");
  }

  private static DeploymentRevision row(Template t, State state, Instant created) {
    return new DeploymentRevision(
        "api", t.revision, t.hash, t.image, t.port, t.env, t.primaryEnv, state, created, NOW);
  }

  @Test
  void aNewCurrentRevisionIsRecordedRollingOutFromWhenItsRolloutStarted() {
    Template r1 = template(1, "local/api:1");
    Template r2 = template(2, "local/api:2");

    listener.onChange(
        KEY,
        deployment(r1, null, "Progressing/False/RolloutComplete"),
        deployment(r2, r1, "Progressing/True/RollingOut"));

    assertThat(recorded).containsExactly(row(r2, State.ROLLING_OUT, Instant.parse(STARTED)));
  }

  @Test
  void progressingBecomingRolloutCompleteCompletesTheCurrentRevisionOnce() {
    Template r1 = template(1, "local/api:1");
    Template r2 = template(2, "local/api:2");
    Deployment rolling = deployment(r2, r1, "Progressing/True/RollingOut");
    Deployment done = deployment(r2, r1, "Progressing/False/RolloutComplete");

    listener.onChange(KEY, rolling, done);
    listener.onChange(KEY, done, deployment(r2, r1, "Progressing/False/RolloutComplete"));

    assertThat(recorded)
        .as("a later status write that changes nothing records nothing")
        .containsExactly(row(r2, State.COMPLETE, Instant.parse(STARTED)));
  }

  @Test
  void aRollbackRecordsTheFailedRevisionNowPreviousAsRolledBack() {
    Template r1 = template(1, "local/api:1");
    Template r2 = template(2, "local/api:bad");
    Deployment rolling = deployment(r2, r1, "Progressing/True/RollingOut");
    Deployment rolledBack =
        deployment(
            r1, r2, "Progressing/True/RollingOut", "RolledBack/True/ProgressDeadlineExceeded");

    listener.onChange(KEY, rolling, rolledBack);
    listener.onChange(KEY, rolledBack, backToRevision1(r1, r2));

    assertThat(recorded)
        .as("revision 1 serving again is no new rollout; it is complete again (an upsert no-op)")
        .containsExactly(
            row(r2, State.ROLLED_BACK, NOW), row(r1, State.COMPLETE, Instant.parse(STARTED)));
  }

  @Test
  void goingBackToThePreviousRevisionBeforeTheNewOneCompletedRecordsItUndone() {
    Template r1 = template(1, "local/api:1");
    Template r2 = template(2, "local/api:9");

    listener.onChange(
        KEY,
        deployment(r2, r1, "Progressing/True/RollingOut"),
        deployment(r1, r2, "Progressing/True/RollingOut"));

    assertThat(recorded).containsExactly(row(r2, State.UNDONE, NOW));
  }

  @Test
  void aDeploymentSeenForTheFirstTimeRecordsWhatItsStatusSaysNow() {
    Template r1 = template(1, "local/api:1");
    Template r2 = template(2, "local/api:bad");

    listener.onChange(KEY, null, backToRevision1(r1, r2));

    assertThat(recorded)
        .containsExactly(
            row(r2, State.ROLLED_BACK, NOW), row(r1, State.COMPLETE, Instant.parse(STARTED)));
  }

  @Test
  void aDeploymentNotYetPlannedOrRemovedOrAnotherKindRecordsNothing() {
    Template r1 = template(1, "local/api:1");
    listener.onChange(KEY, null, deployment(null, null));
    listener.onChange(KEY, deployment(r1, null, "Progressing/False/RolloutComplete"), null);
    listener.onChange(new ResourceKey("Backend", "api"), null, new Backend());

    assertThat(recorded).isEmpty();
  }

  @Test
  void theJournalWritesRevisionsLikeEveryOtherRecord() {
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    RecordsJournal journal =
        new RecordsJournal(
            new DatabaseHandle(),
            new RecordsHealth(clock, meters),
            new ProbeMinutes(),
            clock,
            10,
            meters);
    new DeploymentRevisions(journal, clock)
        .onChange(KEY, null, deployment(template(1, "local/api:1"), null));

    assertThat(journal.waiting())
        .singleElement()
        .isInstanceOfSatisfying(
            RecordsJournal.Rollout.class,
            r -> assertThat(r.revision().state()).isEqualTo(State.ROLLING_OUT));
  }
}
