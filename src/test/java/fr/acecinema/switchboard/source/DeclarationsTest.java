package fr.acecinema.switchboard.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteSpec;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeclarationsTest {
  private final ObjectMapper mapper = new ObjectMapper();
  private final ResourceStore store = new ResourceStore();
  private final Map<Origin, ObjectNode> written = new ConcurrentHashMap<>();
  private final Map<Origin, ObjectNode> tableWritten = new ConcurrentHashMap<>();
  private Declarations declarations;
  private static final ResourceKey DIJON = new ResourceKey("Site", "dijon");

  @BeforeEach
  void setUp() {
    declarations =
        new Declarations(
            store, mapper, Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC));
    declarations.registerWriter(
        "file",
        (origin, generation, status) -> {
          written.put(origin, status);
          return StatusWriter.Outcome.WRITTEN;
        });
    declarations.registerWriter(
        "table",
        (origin, generation, status) -> {
          tableWritten.put(origin, status);
          return StatusWriter.Outcome.WRITTEN;
        });
  }

  private static Origin at(String file, int doc) {
    return new Origin("file", file, doc, 1 + doc * 10);
  }

  private static Declaration site(String name, String file, long generation) {
    Site s = new Site();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(generation).build());
    s.setSpec(new SiteSpec());
    s.getSpec().subnet = "10.200.0.0/24";
    return new Declaration(new ResourceKey("Site", name), at(file, 0), s);
  }

  private static Rejection invalid(ResourceKey key, String file, long generation) {
    return new Rejection(
        key, at(file, 0), generation, "InvalidSpec", file + ":1: spec.x: bad", true);
  }

  private static Rejection syntax(String file) {
    return new Rejection(null, at(file, 0), 0, "YamlSyntaxError", file + ":3:1: bad", false);
  }

  /**
   * The store's Site/dijon with an Accepted condition since {@code since}, as a reconcile writes.
   */
  private void reconciled(long generation, String since) {
    Site s = (Site) store.get(DIJON).orElseThrow();
    Site withStatus = mapper.convertValue(s, Site.class);
    withStatus.setStatus(new fr.acecinema.switchboard.api.v1alpha1.SiteStatus());
    withStatus
        .getStatus()
        .setCondition(
            new fr.acecinema.switchboard.api.v1alpha1.Condition("Accepted", "True", "Valid", "ok"),
            generation,
            Instant.parse(since));
    assertThat(store.updateStatus(DIJON, generation, withStatus)).isTrue();
  }

  private String acceptedSince() {
    return ((Site) store.get(DIJON).orElseThrow())
        .getStatus()
        .condition("Accepted")
        .orElseThrow()
        .lastTransitionTime;
  }

  @Test
  void aChangedSpecWithoutStatusKeepsTheStoredStatusSoCreationAndTransitionTimesStand() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    reconciled(1, "2026-01-01T00:00:00Z");
    // What `sbctl apply` writes: the user's text, a new spec, no status.
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 2)), List.of());
    assertThat(store.get(DIJON).orElseThrow().getMetadata().getGeneration()).isEqualTo(2);
    assertThat(acceptedSince()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void anUnchangedSpecWhoseStatusWasLeftOutGetsTheStoredStatusWrittenBack() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    reconciled(1, "2026-01-01T00:00:00Z");
    written.clear();
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.flush();
    assertThat(written.get(at("a.yaml", 0)).at("/conditions/0/lastTransitionTime").asText())
        .isEqualTo("2026-01-01T00:00:00Z");
    assertThat(acceptedSince()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void putsADeclarationIntoTheStore() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    assertThat(store.get(DIJON)).isPresent();
    assertThat(declarations.originOf(DIJON)).contains(at("a.yaml", 0));
  }

  @Test
  void removesWhatALocationNoLongerDeclares() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("file", "a.yaml", List.of(), List.of());
    assertThat(store.get(DIJON)).isEmpty();
  }

  @Test
  void aSecondDeclarationOfAServingNameGetsConflictAndTheServingOneStaysInTheStore() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("table", "Site/dijon", List.of(siteFromTable()), List.of());
    assertThat(store.get(DIJON))
        .as("a conflict never takes away what was serving")
        .map(r -> r.getMetadata().getGeneration())
        .contains(1L);
    assertThat(declarations.conflicts()).containsExactly(DIJON);
    ObjectNode status = tableWritten.get(new Origin("table", "Site/dijon", 0, 0));
    assertThat(status.at("/conditions/0/type").asText()).isEqualTo("Accepted");
    assertThat(status.at("/conditions/0/status").asText()).isEqualTo("False");
    assertThat(status.at("/conditions/0/reason").asText()).isEqualTo("Conflict");
    assertThat(status.at("/conditions/0/message").asText())
        .contains("a.yaml:1", "keeps serving", "not applied");
    assertThat(declarations.contested().get(DIJON))
        .contains("table Site/dijon", "the last valid one, keeps serving");
  }

  @Test
  void theServingDeclarationsPublishedStatusSaysConflictUntilTheOtherGoes() throws Exception {
    List<ResourceKey> republished = new java.util.concurrent.CopyOnWriteArrayList<>();
    declarations.onContestChange(republished::add);
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("table", "Site/dijon", List.of(siteFromTable()), List.of());
    assertThat(republished).containsExactly(DIJON);
    ObjectNode computed = mapper.createObjectNode();
    computed
        .putArray("conditions")
        .add(
            mapper
                .createObjectNode()
                .put("type", "Accepted")
                .put("status", "True")
                .put("reason", "Valid")
                .put("message", "spec is valid")
                .put("lastTransitionTime", "2026-11-21T09:00:00Z"))
        .add(mapper.createObjectNode().put("type", "Ready").put("status", "True"));
    assertThat(declarations.publish(DIJON, 1, computed)).isEqualTo(StatusPublisher.Outcome.QUEUED);
    // Not flush(): that closes the outbox, and the resolution below publishes once more.
    ObjectNode contested =
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(10))
            .until(() -> written.get(at("a.yaml", 0)), java.util.Objects::nonNull);
    assertThat(contested.at("/conditions/0/status").asText()).isEqualTo("True");
    assertThat(contested.at("/conditions/0/reason").asText()).isEqualTo("Conflict");
    assertThat(contested.at("/conditions/0/message").asText()).contains("table Site/dijon");
    assertThat(contested.at("/conditions/0/lastTransitionTime").asText())
        .isEqualTo("2026-11-21T10:00:00Z");
    assertThat(contested.at("/conditions/1/status").asText()).isEqualTo("True");
    assertThat(computed.at("/conditions/0/reason").asText())
        .as("the reconciler's own copy is untouched")
        .isEqualTo("Valid");

    declarations.removeLocation("table", "Site/dijon");
    assertThat(republished).containsExactly(DIJON, DIJON);
    assertThat(declarations.contested()).isEmpty();
    written.clear();
    assertThat(declarations.publish(DIJON, 1, computed)).isEqualTo(StatusPublisher.Outcome.QUEUED);
    declarations.flush();
    assertThat(written.get(at("a.yaml", 0))).isEqualTo(computed);
  }

  @Test
  void whenTheServingDeclarationGoesTheOtherTakesOver() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("table", "Site/dijon", List.of(siteFromTable()), List.of());
    declarations.removeLocation("file", "a.yaml");
    assertThat(store.get(DIJON).map(r -> r.getMetadata().getGeneration())).contains(2L);
    assertThat(declarations.originOf(DIJON)).contains(new Origin("table", "Site/dijon", 0, 0));
    assertThat(declarations.conflicts()).isEmpty();
  }

  @Test
  void twoDeclarationsInOneReportWithNothingServingApplyNeither() {
    Declaration second =
        new Declaration(DIJON, at("a.yaml", 1), site("dijon", "a.yaml", 1).resource());
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1), second), List.of());
    assertThat(store.get(DIJON)).isEmpty();
    assertThat(written.get(at("a.yaml", 0)).at("/conditions/0/message").asText())
        .contains("neither is applied");
  }

  private static Declaration siteFromTable() {
    Declaration d = site("dijon", "x", 2);
    return new Declaration(d.key(), new Origin("table", "Site/dijon", 0, 0), d.resource());
  }

  @Test
  void resolvesAConflictWhenOneDeclarationGoes() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("file", "b.yaml", List.of(site("dijon", "b.yaml", 1)), List.of());
    assertThat(declarations.conflicts()).containsExactly(DIJON);
    declarations.removeLocation("file", "b.yaml");
    assertThat(store.get(DIJON)).isPresent();
    assertThat(declarations.originOf(DIJON)).contains(at("a.yaml", 0));
  }

  @Test
  void writesARejectionIntoTheDocument() {
    declarations.replace("file", "a.yaml", List.of(), List.of(invalid(DIJON, "a.yaml", 7)));
    ObjectNode status = written.get(at("a.yaml", 0));
    assertThat(status.path("observedGeneration").asLong()).isEqualTo(7);
    assertThat(status.at("/conditions/0/type").asText()).isEqualTo("Accepted");
    assertThat(status.at("/conditions/0/reason").asText()).isEqualTo("InvalidSpec");
    assertThat(status.at("/conditions/1/type").asText()).isEqualTo("Ready");
  }

  @Test
  void keepsTheLastValidVersionWhenAnEditIsRejected() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("file", "a.yaml", List.of(), List.of(invalid(DIJON, "a.yaml", 2)));
    assertThat(store.get(DIJON).orElseThrow().getMetadata().getGeneration()).isEqualTo(1);
    assertThat(written.get(at("a.yaml", 0)).at("/conditions/0/message").asText())
        .contains("last valid version, generation 1, stays in effect");
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 3)), List.of());
    assertThat(store.get(DIJON).orElseThrow().getMetadata().getGeneration()).isEqualTo(3);
  }

  @Test
  void keepsAFilesResourcesWhileItDoesNotParse() {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    declarations.replace("file", "a.yaml", List.of(), List.of(syntax("a.yaml")));
    assertThat(store.get(DIJON)).isPresent();
    assertThat(declarations.rejections()).hasSize(1);
    declarations.removeLocation("file", "a.yaml");
    assertThat(store.get(DIJON)).isEmpty();
  }

  @Test
  void rewritesAnUnchangedRejectionIdentically() {
    declarations.replace("file", "a.yaml", List.of(), List.of(invalid(DIJON, "a.yaml", 2)));
    ObjectNode first = written.get(at("a.yaml", 0));
    declarations.replace("file", "a.yaml", List.of(), List.of(invalid(DIJON, "a.yaml", 2)));
    assertThat(written.get(at("a.yaml", 0))).isEqualTo(first);
  }

  @Test
  void queuesStatusForTheSingleDeclarationAndWritesItByFlush() throws Exception {
    declarations.replace("file", "a.yaml", List.of(site("dijon", "a.yaml", 1)), List.of());
    ObjectNode status = mapper.createObjectNode().put("observedGeneration", 1);
    assertThat(declarations.publish(DIJON, 1, status)).isEqualTo(StatusPublisher.Outcome.QUEUED);
    declarations.flush();
    assertThat(written.get(at("a.yaml", 0))).isEqualTo(status);
    assertThat(declarations.publish(new ResourceKey("Site", "nope"), 1, status))
        .isEqualTo(StatusPublisher.Outcome.STALE);
  }

  @Test
  void writesTheStatusesOfOneFileTogether() throws Exception {
    java.util.List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch firstWriteStarted =
        new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    declarations.registerWriter(
        "file",
        new StatusWriter() {
          @Override
          public Outcome write(Origin origin, long generation, ObjectNode status) {
            throw new AssertionError("batched writes only");
          }

          @Override
          public List<Outcome> writeAll(List<Entry> entries) throws java.io.IOException {
            batchSizes.add(entries.size());
            firstWriteStarted.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              throw new java.io.IOException(e);
            }
            return entries.stream().map(e -> Outcome.WRITTEN).toList();
          }
        });
    List<Declaration> sites = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Declaration d = site("s" + i, "all.yaml", 1);
      sites.add(new Declaration(d.key(), at("all.yaml", i), d.resource()));
    }
    declarations.replace("file", "all.yaml", sites, List.of());
    declarations.publish(sites.get(0).key(), 1, mapper.createObjectNode());
    firstWriteStarted.await();
    for (int i = 1; i < 5; i++) {
      declarations.publish(sites.get(i).key(), 1, mapper.createObjectNode());
    }
    release.countDown();
    declarations.flush();
    // The first write was on disk while four more queued: they go in one second write.
    assertThat(batchSizes).containsExactly(1, 4);
  }
}
