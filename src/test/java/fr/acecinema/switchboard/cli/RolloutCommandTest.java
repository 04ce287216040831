package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.DeploymentRevision.State;
import fr.acecinema.switchboard.source.Origin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class RolloutCommandTest {
  private static final ResourceKey KEY = new ResourceKey("Deployment", "api");
  private final WaiterTest.FakeTicker ticker = new WaiterTest.FakeTicker();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  /** A Deployment row at generation 2 with these conditions (observed at {@code observed}). */
  private static ResourceRow deployment(long observed, String... conditions) {
    StringBuilder c = new StringBuilder();
    for (String condition : conditions) {
      String[] p = condition.split("/", 4);
      if (c.length() > 0) {
        c.append(',');
      }
      c.append("{'type':'")
          .append(p[0])
          .append("','status':'")
          .append(p[1])
          .append("','reason':'")
          .append(p[2])
          .append("','message':'")
          .append(p[3])
          .append("','observedGeneration':")
          .append(observed)
          .append('}');
    }
    return new ResourceRow(
        "Deployment",
        "api",
        new Origin("file", "api.yaml", 0, 1),
        2,
        Rows.NOW,
        Rows.json("{'service':'api','image':'local/api:2','port':8080}"),
        Rows.json("{'observedGeneration':" + observed + ",'conditions':[" + c + "]}"),
        null,
        null);
  }

  private int follow(List<Optional<ResourceRow>> states) {
    Deque<Optional<ResourceRow>> queue = new ArrayDeque<>(states);
    Supplier<Optional<ResourceRow>> current = () -> queue.size() > 1 ? queue.poll() : queue.peek();
    return RolloutCommand.follow(
        KEY,
        current,
        Duration.ofSeconds(30),
        Duration.ofMillis(500),
        ticker,
        new PrintWriter(out, true),
        new PrintWriter(err, true));
  }

  @Test
  void printsEachNewProgressLineAndSucceedsWhenTheRolloutCompletes() {
    int code =
        follow(
            List.of(
                Optional.of(deployment(1, "Progressing/False/RolloutComplete/revision 1 runs")),
                Optional.of(deployment(2, "Progressing/True/RollingOut/revision 2: 0 of 2 ready")),
                Optional.of(deployment(2, "Progressing/True/RollingOut/revision 2: 0 of 2 ready")),
                Optional.of(deployment(2, "Progressing/True/RollingOut/revision 2: 1 of 2 ready")),
                Optional.of(
                    deployment(
                        2, "Progressing/False/RolloutComplete/revision 2 runs: dijon 2/2"))));
    assertThat(code).isZero();
    assertThat(out.toString().lines())
        .containsExactly(
            "Waiting for deployment \"api\": the hub has not planned this spec yet",
            "Waiting for deployment \"api\" rollout: revision 2: 0 of 2 ready",
            "Waiting for deployment \"api\" rollout: revision 2: 1 of 2 ready",
            "deployment \"api\" successfully rolled out: revision 2 runs: dijon 2/2");
  }

  @Test
  void failsWhenTheDeploymentRolledBack() {
    int code =
        follow(
            List.of(
                Optional.of(
                    deployment(
                        2,
                        "Progressing/False/RolloutComplete/revision 1 runs",
                        "RolledBack/True/ProgressDeadlineExceeded/local/api:2 was not ready"))));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("error: deployment \"api\" rolled back: local/api:2 was not ready");
  }

  @Test
  void failsWhenAFirstRolloutOverranItsDeadlineOrTheSpecIsRefused() {
    assertThat(
            follow(
                List.of(
                    Optional.of(
                        deployment(2, "Progressing/False/ProgressDeadlineExceeded/0 of 2 ready")))))
        .isEqualTo(1);
    assertThat(
            RolloutCommand.judge(
                    Optional.of(
                        deployment(2, "Accepted/False/ServiceNotFound/spec.service: no Service")),
                    KEY)
                .line())
        .isEqualTo(
            "deployment \"api\" is not accepted (ServiceNotFound): spec.service: no Service");
    assertThat(RolloutCommand.judge(Optional.empty(), KEY).verdict())
        .isEqualTo(RolloutCommand.Verdict.FAILED);
  }

  @Test
  void givesUpAfterItsTimeoutNamingTheLastProgress() {
    int code =
        follow(
            List.of(
                Optional.of(
                    deployment(2, "Progressing/True/RollingOut/revision 2: 1 of 2 ready"))));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("timed out after 30s; last seen: Waiting for deployment \"api\" rollout");
    assertThat(ticker.slept).isEqualTo(Duration.ofSeconds(30));
  }

  private static DeploymentRevision revision(
      int n, String image, int port, Map<String, String> env, DeploymentRevision.State state) {
    return new DeploymentRevision(
        "api",
        n,
        "h" + image.substring(image.indexOf(':') + 1) + port + new TreeMap<>(env),
        image,
        port,
        env,
        null,
        state,
        Rows.NOW.minusSeconds(600 - 60L * n),
        Rows.NOW.minusSeconds(590 - 60L * n));
  }

  @Test
  void historyListsRevisionsOldestFirstWithStateAgeAndWhatEachChanged() {
    var r1 = revision(1, "local/api:1", 8080, Map.of("LOG", "info"), State.COMPLETE);
    var r2 = revision(2, "local/api:2", 9090, Map.of("LOG", "debug", "X", "1"), State.ROLLED_BACK);
    var r3 = revision(3, "local/api:1", 8080, Map.of("LOG", "info"), State.ROLLING_OUT);

    String table = RecordsPrinter.rollouts("api", List.of(r3, r2, r1), Rows.NOW);

    assertThat(table.lines())
        .containsExactly(
            "REVISION   IMAGE         STATE        CREATED   CHANGE",
            "1          local/api:1   Complete     9m        -",
            "2          local/api:2   RolledBack   8m        image, port 8080->9090, env ~LOG +X",
            "3          local/api:1   RollingOut   7m        template of revision 1");
  }

  @Test
  void oneRevisionShowsItsWholeTemplate() {
    var r2 = revision(2, "local/api:2", 9090, Map.of("LOG", "debug", "X", "1"), State.ROLLED_BACK);

    assertThat(RecordsPrinter.rollout(r2, Rows.NOW))
        .isEqualTo(
            """
            deployment "api" revision 2
              State:      RolledBack (7m50s ago)
              Created:    2026-11-21T11:52:00Z (8m ago)
              Hash:       h29090{LOG=debug, X=1}
              Image:      local/api:2
              Port:       9090
              Env:        LOG=debug
                          X=1
              PrimaryEnv: <none>
            """);
  }

  @Test
  void anUnrecordedRevisionIsRefusedNamingTheRecordedOnes() {
    var r1 = revision(1, "local/api:1", 8080, Map.of(), State.COMPLETE);
    var r2 = revision(2, "local/api:2", 8080, Map.of(), State.COMPLETE);

    assertThatThrownBy(() -> RolloutHistoryCommand.recorded(List.of(r2, r1), KEY, 5))
        .hasMessage("deployment \"api\" has no revision 5 recorded; known: 1, 2");
  }

  @Test
  void anEmptyHistorySaysSoAndHowToCheckTheName() {
    assertThat(RecordsPrinter.rollouts("api", List.of(), Rows.NOW))
        .isEqualTo(
            "No revisions recorded for deployment \"api\" (is it declared? sbctl get"
                + " deployments).\n");
  }
}
