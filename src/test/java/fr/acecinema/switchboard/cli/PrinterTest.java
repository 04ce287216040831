package fr.acecinema.switchboard.cli;

import static fr.acecinema.switchboard.cli.Rows.NOW;
import static fr.acecinema.switchboard.cli.Rows.backend;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.source.Origin;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrinterTest {
  @Test
  void printsKubectlLikeTableWithReadyReasonAndAge() {
    String out =
        Printer.table(
            List.of(
                backend("api-dijon", 2, "True", "ProbeSucceeded", 2),
                backend("api-thory-longer-name", 1, "False", "ProbeFailed", 1)),
            false,
            NOW);
    assertThat(out)
        .isEqualTo(
            """
            NAME                    READY   REASON           AGE
            api-dijon               True    ProbeSucceeded   5m
            api-thory-longer-name   False   ProbeFailed      5m
            """);
  }

  @Test
  void showsStaleReadyConditionAsReconciling() {
    String out =
        Printer.table(List.of(backend("api-dijon", 3, "True", "ProbeSucceeded", 2)), false, NOW);
    assertThat(out).contains("api-dijon   Unknown   Reconciling   5m");
  }

  @Test
  void wideAddsBackendColumnsAndSource() {
    String out =
        Printer.table(List.of(backend("api-dijon", 2, "True", "ProbeSucceeded", 2)), true, NOW);
    assertThat(out.lines().toList())
        .containsExactly(
            "NAME        READY   REASON           AGE   SERVICE   SITE    ADDRESS            ROLE      WEIGHT   HEALTH    MANAGED-BY   HUBS   SOURCE",
            "api-dijon   True    ProbeSucceeded   5m    api       dijon   10.200.0.23:8080   primary   10       Healthy   -            -      backends.yaml:12 (document 2)");
  }

  @Test
  void wideShowsWhatEachHubSeesWithTheReasonOfThoseThatDoNotSeeItReady() {
    ResourceRow r = Rows.site("dijon");
    ((com.fasterxml.jackson.databind.node.ObjectNode) r.status())
        .set(
            "hubs",
            Rows.json(
                "[{'hub':'hub-a','ready':'True','reason':'BackendsReady'},"
                    + "{'hub':'hub-b','ready':'False','reason':'Unreachable'}]"));
    String out = Printer.table(List.of(r), true, NOW);
    assertThat(out).contains("hub-a=True,hub-b=False(Unreachable)");
  }

  @Test
  void wideShowsASitesAgentAndWhoManagesABackend() {
    ResourceRow site =
        new ResourceRow(
            "Site",
            "dijon",
            new Origin("file", "sites.yaml", 0, 1),
            1,
            NOW.minusSeconds(3600),
            Rows.json("{'subnet':'10.200.0.0/24'}"),
            Rows.json(
                "{'conditions':[{'type':'AgentConnected','status':'False','reason':"
                    + "'HeartbeatMissed'}],'agent':{'hostName':'dijon-docker','containers':"
                    + "[{'name':'web1','state':'running','backend':'dijon-web1'}]}}"),
            null,
            null);
    assertThat(Printer.table(List.of(site), true, NOW)).contains("dijon-docker (False)");
    assertThat(Printer.describe(site, NOW))
        .contains("- name: web1")
        .contains("backend: dijon-web1");
    ResourceRow managed =
        new ResourceRow(
            "Backend",
            "dijon-web1",
            new Origin("file", "dijon-web1.yaml", 0, 1),
            1,
            NOW,
            Rows.json("{'service':'api','site':'dijon','address':'10.200.0.7','port':8080}"),
            null,
            null,
            null,
            Rows.json("{'switchboard.acecinema.fr/managed-by':'agent/dijon'}"));
    assertThat(Printer.table(List.of(managed), true, NOW)).contains("agent/dijon");
  }

  @Test
  void showsUnreadableFileAsNotReadyRowNamedByFile() {
    String out = Printer.table(List.of(Rows.unreadable("broken.yaml")), false, NOW);
    assertThat(out.lines().toList())
        .containsExactly(
            "NAME              READY   REASON            MESSAGE",
            "<broken.yaml:3>   False   YamlSyntaxError   broken.yaml:3: mapping values are not"
                + " allowed here; indent the key under its parent");
  }

  @Test
  void printsOneTablePerKindWithOnlyThatKindsColumns() {
    String out =
        Printer.tables(
            List.of(
                backend("api-dijon", 2, "True", "ProbeSucceeded", 2),
                Rows.unreadable("broken.yaml"),
                Rows.site("dijon")),
            true,
            true,
            NOW);
    assertThat(out)
        .isEqualTo(
            """
            NAME         READY   REASON          AGE   SUBNET          PRIORITY   MAINTENANCE   BACKENDS      AGENT   HUBS   SOURCE
            site/dijon   True    BackendsReady   60m   10.200.0.0/24   10         false         1/1 healthy   -       -      sites.yaml:1

            NAME                READY   REASON           AGE   SERVICE   SITE    ADDRESS            ROLE      WEIGHT   HEALTH    MANAGED-BY   HUBS   SOURCE
            backend/api-dijon   True    ProbeSucceeded   5m    api       dijon   10.200.0.23:8080   primary   10       Healthy   -            -      backends.yaml:12 (document 2)

            NAME              READY   REASON            MESSAGE
            <broken.yaml:3>   False   YamlSyntaxError   broken.yaml:3: mapping values are not allowed here; indent the key under its parent
            """);
  }

  @Test
  void ageIsUserCreationTimestampElseFirstAcceptanceElseUnknown() {
    assertThat(
            ResourceRow.created(
                Rows.json(
                    "{'metadata':{'creationTimestamp':'2026-01-02T03:04:05Z'},'status':{'conditions':"
                        + "[{'type':'Accepted','status':'True','lastTransitionTime':'2026-11-21T11:55:00Z'}]}}")))
        .isEqualTo(java.time.Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(
            ResourceRow.created(
                Rows.json(
                    "{'status':{'conditions':[{'type':'Ready','status':'True','lastTransitionTime':"
                        + "'2026-11-21T11:59:00Z'},{'type':'Accepted','status':'True',"
                        + "'lastTransitionTime':'2026-11-21T11:55:00Z'}]}}")))
        .isEqualTo(java.time.Instant.parse("2026-11-21T11:55:00Z"));
    assertThat(
            ResourceRow.created(
                Rows.json(
                    "{'status':{'conditions':[{'type':'Accepted','status':'False',"
                        + "'lastTransitionTime':'2026-11-21T11:55:00Z'}]}}")))
        .isNull();
    assertThat(ResourceRow.created(Rows.json("{'metadata':{'name':'x'}}"))).isNull();
    assertThat(Printer.table(List.of(unknownAge()), false, NOW)).contains("<unknown>");
  }

  private static ResourceRow unknownAge() {
    ResourceRow b = backend("api-dijon", 2, "True", "ProbeSucceeded", 2);
    return new ResourceRow(
        b.kind(), b.name(), b.origin(), 2, null, b.spec(), b.status(), null, null);
  }

  @Test
  void rendersSingleResourceAsManifestYaml() throws Exception {
    String out =
        Printer.render(
            List.of(backend("api-dijon", 2, "True", "ProbeSucceeded", 2)),
            Printer.Format.yaml,
            NOW);
    JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(out);
    assertThat(doc.path("apiVersion").asText()).isEqualTo("switchboard.acecinema.fr/v1alpha1");
    assertThat(doc.path("kind").asText()).isEqualTo("Backend");
    assertThat(doc.path("metadata").path("name").asText()).isEqualTo("api-dijon");
    assertThat(doc.path("metadata").path("generation").asLong()).isEqualTo(2);
    assertThat(doc.path("spec").path("port").asInt()).isEqualTo(8080);
    assertThat(doc.path("status").path("health").path("state").asText()).isEqualTo("Healthy");
    assertThat(out).startsWith("apiVersion: switchboard.acecinema.fr/v1alpha1\n");
  }

  @Test
  void rendersSeveralResourcesAsJsonList() throws Exception {
    String out =
        Printer.render(
            List.of(
                backend("a", 1, "True", "ProbeSucceeded", 1),
                backend("b", 1, "True", "ProbeSucceeded", 1)),
            Printer.Format.json,
            NOW);
    JsonNode doc = new ObjectMapper().readTree(out);
    assertThat(doc.path("kind").asText()).isEqualTo("List");
    assertThat(doc.path("items")).hasSize(2);
    assertThat(doc.path("items").get(1).path("metadata").path("name").asText()).isEqualTo("b");
  }

  @Test
  void describesSourceSpecStatusAndConditions() {
    String out = Printer.describe(backend("api-dijon", 2, "True", "ProbeSucceeded", 2), NOW);
    assertThat(out)
        .startsWith(
            """
            Name:         api-dijon
            Kind:         Backend
            API Version:  switchboard.acecinema.fr/v1alpha1
            Source:       backends.yaml:12 (document 2)
            Generation:   2
            Created:      2026-11-21T11:55:00Z (5m ago)
            Ready:        True (ProbeSucceeded)
            Spec:
              service: api
              site: dijon
              address: 10.200.0.23
              port: 8080
              weight: 10
            Status:
              observedGeneration: 2
              health:
                state: Healthy
                latencyMillis: 3
            Conditions:
            """);
    assertThat(out)
        .contains("  Type       Status   Reason           Age   Generation   Message\n")
        .contains("  Accepted   True     Valid            5m    2            ok\n")
        .contains("  Ready      True     ProbeSucceeded   60s   2            probe said so\n");
  }

  @Test
  void describeMarksConditionsOfAnOlderGenerationStale() {
    String out = Printer.describe(backend("api-dijon", 3, "True", "ProbeSucceeded", 2), NOW);
    assertThat(out).contains("Ready:        Unknown (Reconciling)").contains("2 (stale)");
  }

  @Test
  void describesRejectedDocumentWithItsError() {
    String out = Printer.describe(Rows.unreadable("broken.yaml"), NOW);
    assertThat(out)
        .contains("Kind:         <unreadable>")
        .contains("Error:        broken.yaml:3: mapping values are not allowed here")
        .contains("Spec:\n  <none>\n")
        .contains("Conditions:\n  <none>\n");
  }
}
