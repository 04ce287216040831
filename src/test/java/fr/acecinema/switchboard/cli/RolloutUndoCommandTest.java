package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sbctl rollout undo} on a real manifests directory with records off: which revision it goes
 * back to, and how the Deployment's document is rewritten where it is declared.
 */
class RolloutUndoCommandTest {
  private static final ResourceKey KEY = new ResourceKey("Deployment", "api");

  /** Revision 2 (local/api:2, port 9090, LOG=debug) runs; revision 1 ran before it. */
  private static final String DEPLOYMENT =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Deployment
      metadata:
        name: api
        labels:
          team: web
        annotations:
          owner: ops
      spec:
        service: api
        image: local/api:2
        replicas: 2
        port: 9090
        env:
          LOG: debug
        progressDeadline: 3m
      status:
        current:
          revision: 2
          hash: h2
          image: local/api:2
          port: 9090
          env:
            LOG: debug
        previous:
          revision: 1
          hash: h1
          image: local/api:1
          port: 8080
          env:
            LOG: info
          primaryEnv:
            CRON: "on"
      """;

  private static final String SITE =
      """
      # The one site. Its comment, spacing and quoting must survive the undo.
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Site
      metadata:
        name: dijon
      spec:
        subnet:   10.20.0.0/24   # kept as written
      """;

  private static final String SERVICE =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Service
      metadata:
        name: api
      spec:
        hosts: ["api.acecinema.test"]
      """;

  @TempDir Path dir;

  private InProcessSbctl.Result sbctl(String... args) {
    return InProcessSbctl.run(
        Map.of(
            "SWITCHBOARD_MANIFESTS", dir.resolve("manifests").toString(),
            "SWITCHBOARD_DATA_DIR", dir.resolve("data").toString(),
            "SWITCHBOARD_RECORDS", "off"),
        args);
  }

  private Path manifest(String name, String text) throws IOException {
    Path file = Files.createDirectories(dir.resolve("manifests")).resolve(name);
    Files.writeString(file, text);
    return file;
  }

  @Test
  void undoPutsThePreviousTemplateIntoTheSpecOfADeploymentAloneInItsFile() throws IOException {
    Path file = manifest("api.yaml", DEPLOYMENT);

    InProcessSbctl.Result r = sbctl("rollout", "undo", "deployment/api");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo("deployment \"api\" rolled back to revision 1 (image local/api:1)\n");
    assertThat(Files.readString(file))
        .as("the template is revision 1's; the rest of the spec and the metadata stay")
        .isEqualTo(
            """
            apiVersion: switchboard.acecinema.fr/v1alpha1
            kind: Deployment
            metadata:
              name: api
              labels:
                team: web
              annotations:
                owner: ops
            spec:
              service: api
              image: local/api:1
              replicas: 2
              port: 8080
              env:
                LOG: info
              progressDeadline: 3m
              primaryEnv:
                CRON: "on"
            """);
  }

  @Test
  void undoRewritesTheDeploymentsDocumentInPlaceAndLeavesTheOthersOfItsFileByteForByte()
      throws IOException {
    Path file = manifest("fleet.yaml", SITE + "---\n" + DEPLOYMENT + "---\n" + SERVICE);

    InProcessSbctl.Result r = sbctl("rollout", "undo", "deploy/api", "--to-revision", "1");

    assertThat(r.code()).as(r.err()).isZero();
    String text = Files.readString(file);
    assertThat(text).startsWith(SITE + "---\n").endsWith("---\n" + SERVICE);
    String document = text.substring(SITE.length() + 4, text.length() - SERVICE.length() - 4);
    assertThat(document)
        .contains("image: local/api:1", "port: 8080", "LOG: info", "CRON: \"on\"", "owner: ops")
        .doesNotContain("status:", "local/api:2");
  }

  @Test
  void undoToTheRevisionTheSpecAlreadyAsksForIsSkippedLikeKubectl() throws IOException {
    Path file = manifest("api.yaml", DEPLOYMENT);

    InProcessSbctl.Result r = sbctl("rollout", "undo", "deployment/api", "--to-revision", "2");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo(
            "deployment \"api\" skipped rollback (current template already matches revision"
                + " 2)\n");
    assertThat(Files.readString(file)).isEqualTo(DEPLOYMENT);
  }

  @Test
  void anOlderRevisionWithRecordsOffIsRefusedNamingTheKnownOnesAndDescribe() throws IOException {
    Path file = manifest("api.yaml", DEPLOYMENT);

    InProcessSbctl.Result r = sbctl("rollout", "undo", "deployment/api", "--to-revision", "7");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "deployment \"api\" has no revision 7 in its status (known there: 1, 2)",
            "records plane",
            "sbctl describe deployment/api");
    assertThat(Files.readString(file)).isEqualTo(DEPLOYMENT);
  }

  @Test
  void historyWithRecordsOffSaysItNeedsTheRecordsPlaneAndPointsAtDescribe() throws IOException {
    manifest("api.yaml", DEPLOYMENT);

    InProcessSbctl.Result r = sbctl("rollout", "history", "deployment/api");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("error: rollout history needs the records plane (PostgreSQL)")
        .contains("sbctl describe deployment/api shows the current and previous revisions");
  }

  @Test
  void undoOfAnotherKindIsAUsageError() {
    InProcessSbctl.Result r = sbctl("rollout", "undo", "backend/api-dijon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("rollout undo is for Deployments");
  }

  @Test
  void afterAnAutomaticRollbackUndoMakesTheSpecAskForWhatServes() throws IOException {
    // The hub went back to revision 1 on its own: the spec still asks for revision 2's template,
    // now status.previous; undo makes the spec say what runs.
    var status =
        Rows.json(
            "{'current':{'revision':1,'hash':'h1','image':'local/api:1','port':8080},"
                + "'previous':{'revision':2,'hash':'h2','image':'local/api:2','port':8080},"
                + "'failedTemplate':'h2'}");
    var spec = Rows.json("{'service':'api','image':'local/api:2','port':8080}");

    var decision = RolloutUndoCommand.decide(KEY, spec, status, null, List::of);

    assertThat(decision)
        .isEqualTo(
            new RolloutUndoCommand.Decision.RollBack(
                new RolloutUndoCommand.Former(1, "local/api:1", 8080, null, null)));
  }

  @Test
  void anOlderRevisionComesFromTheRecordsAndAnUnknownOneListsEveryKnownRevision()
      throws IOException {
    var status =
        Rows.json(
            "{'current':{'revision':3,'hash':'h3','image':'local/api:3','port':8080},"
                + "'previous':{'revision':2,'hash':'h2','image':'local/api:2','port':8080}}");
    var spec = Rows.json("{'service':'api','image':'local/api:3','port':8080}");
    DeploymentRevision first =
        new DeploymentRevision(
            "api",
            1,
            "h1",
            "local/api:1",
            8080,
            Map.of("LOG", "info"),
            null,
            DeploymentRevision.State.COMPLETE,
            Rows.NOW,
            Rows.NOW);

    assertThat(RolloutUndoCommand.decide(KEY, spec, status, 1, () -> List.of(first)))
        .isEqualTo(
            new RolloutUndoCommand.Decision.RollBack(
                new RolloutUndoCommand.Former(
                    1, "local/api:1", 8080, Map.of("LOG", "info"), null)));
    assertThatThrownBy(() -> RolloutUndoCommand.decide(KEY, spec, status, 9, () -> List.of(first)))
        .hasMessageContaining("deployment \"api\" has no revision 9; known revisions: 1, 2, 3");
  }

  @Test
  void aReplaceBasedOnAnOlderReadIsRefusedAndAnUndeclaredNameIsNotCreated() throws IOException {
    Path file = manifest("api.yaml", DEPLOYMENT);
    ManifestFleet fleet = new ManifestFleet(dir.resolve("manifests"), SubnetPolicy.SITES_ONLY);
    long read = fleet.list().get(0).generation();

    assertThatThrownBy(() -> fleet.replace(KEY, DEPLOYMENT, read + 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("was changed since it was read");
    assertThat(fleet.replace(new ResourceKey("Deployment", "other"), DEPLOYMENT, read)).isFalse();
    assertThat(Files.readString(file)).isEqualTo(DEPLOYMENT);
  }
}
