package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.source.Origin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
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
}
