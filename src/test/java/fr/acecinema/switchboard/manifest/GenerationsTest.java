package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GenerationsTest {
  private final ManifestParser parser = new ManifestParser();

  private long generation(String yaml) {
    return Generations.of(parser.parse(yaml).documents().get(0).document());
  }

  private static final String DOC =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Backend
      metadata:
        name: b
        labels: {tier: web}
      spec:
        port: 80
        service: api
      """;

  @Test
  void isStableAndInRange() {
    long g = generation(DOC);
    assertThat(generation(DOC)).isEqualTo(g);
    assertThat(g).isBetween(1L, (long) Integer.MAX_VALUE);
  }

  @Test
  void ignoresStatusKeyOrderCommentsAndOtherMetadata() {
    long g = generation(DOC);
    assertThat(generation(DOC + "status:\n  observedGeneration: 3\n")).isEqualTo(g);
    assertThat(
            generation(
                DOC.replace("  port: 80\n  service: api\n", "  service: api # s\n  port: 80\n")))
        .isEqualTo(g);
    assertThat(generation(DOC.replace("  name: b\n", "  name: b\n  uid: abc\n  generation: 7\n")))
        .isEqualTo(g);
  }

  @Test
  void changesWithSpecNameLabelsAnnotationsKindAndApiVersion() {
    long g = generation(DOC);
    assertThat(generation(DOC.replace("port: 80", "port: 81"))).isNotEqualTo(g);
    assertThat(generation(DOC.replace("name: b", "name: c"))).isNotEqualTo(g);
    assertThat(generation(DOC.replace("tier: web", "tier: db"))).isNotEqualTo(g);
    assertThat(generation(DOC.replace("  name: b\n", "  name: b\n  annotations: {a: b}\n")))
        .isNotEqualTo(g);
    assertThat(
            generation(
                DOC.replace("namespace", "x")
                    .replace("  name: b\n", "  name: b\n  namespace: n\n")))
        .isNotEqualTo(g);
    assertThat(generation(DOC.replace("kind: Backend", "kind: Service"))).isNotEqualTo(g);
    assertThat(generation(DOC.replace("v1alpha1", "v1beta1"))).isNotEqualTo(g);
  }

  @Test
  void canonicalFormSortsKeysAtEveryLevel() {
    assertThat(
            Generations.canonical(
                parser
                    .parse("b: {y: 1, x: [2, {d: 1, c: 2}]}\na: 'q\"'\n")
                    .documents()
                    .get(0)
                    .document()))
        .isEqualTo("{\"a\":\"q\\\"\",\"b\":{\"x\":[2,{\"c\":2,\"d\":1}],\"y\":1}}");
  }
}
