package fr.acecinema.switchboard.source.file;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.SyntaxError;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.validation.Problem;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DocumentAdmissionTest {
  private final ManifestParser parser = new ManifestParser();
  private final DocumentAdmission admission = new DocumentAdmission();
  private final Origin origin = new Origin("file", "lyon/api.yaml", 1, 12);

  private static final String BACKEND =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Backend
      metadata:
        name: api-lyon-1
      spec:
        service: api
        site: lyon
        address: 10.200.0.23
        port: 8080
        role: standby
      status:
        observedGeneration: 4
        conditions:
        - type: Ready
          status: "True"
          lastTransitionTime: "2024-01-01T00:00:00Z"
      """;

  private DocumentAdmission.Result admit(DocumentAdmission a, String yaml) {
    ParsedDocument document = parser.parse(yaml).documents().get(0);
    return a.admit(origin, document);
  }

  private Rejection rejected(String yaml) {
    DocumentAdmission.Result result = admit(admission, yaml);
    assertThat(result).isInstanceOf(DocumentAdmission.Result.Rejected.class);
    return ((DocumentAdmission.Result.Rejected) result).rejection();
  }

  @Test
  void acceptsATypedResourceWithDerivedGenerationAndTheFileStatus() {
    DocumentAdmission.Result result = admit(admission, BACKEND);

    assertThat(result).isInstanceOf(DocumentAdmission.Result.Accepted.class);
    var declaration = ((DocumentAdmission.Result.Accepted) result).declaration();
    Backend backend = (Backend) declaration.resource();
    assertThat(declaration.key().toString()).isEqualTo("Backend/api-lyon-1");
    assertThat(declaration.origin()).isEqualTo(origin);
    assertThat(backend.getSpec().port).isEqualTo(8080);
    assertThat(backend.getSpec().roleOrDefault().name()).isEqualTo("STANDBY");
    assertThat(backend.getMetadata().getGeneration())
        .isEqualTo(parser.parse(BACKEND).documents().get(0).generation());
    assertThat(backend.getStatus().observedGeneration).isEqualTo(4L);
    assertThat(backend.getStatus().conditions.get(0).lastTransitionTime)
        .isEqualTo("2024-01-01T00:00:00Z");
  }

  @Test
  void unknownFieldNamesItsPathAndTheFix() {
    Rejection r = rejected(BACKEND.replace("  port: 8080", "  prot: 8080"));

    assertThat(r.reason()).isEqualTo("InvalidSpec");
    assertThat(r.writable()).isTrue();
    assertThat(r.key().toString()).isEqualTo("Backend/api-lyon-1");
    assertThat(r.generation()).isPositive();
    assertThat(r.message())
        .startsWith("lyon/api.yaml:12 (document 2): Backend/api-lyon-1: spec.prot: unknown field")
        .contains("fix its spelling", "port");
  }

  @Test
  void wrongTypesNameTheExpectedType() {
    assertThat(rejected(BACKEND.replace("port: 8080", "port: eighty")).message())
        .contains("spec.port: 'eighty' is not a valid whole number");
    assertThat(rejected(BACKEND.replace("role: standby", "role: backup")).message())
        .contains("spec.role: 'backup' is not a valid value among primary, standby");
    assertThat(rejected(BACKEND.replace("port: 8080", "port: [1]")).message())
        .contains("spec.port: wrong type, expected a whole number");
  }

  @Test
  void checksApiVersionKindAndName() {
    assertThat(rejected(BACKEND.replace("v1alpha1", "v2")).message())
        .contains("apiVersion: 'switchboard.acecinema.fr/v2' is not supported")
        .contains("use apiVersion: switchboard.acecinema.fr/v1alpha1");
    assertThat(rejected(BACKEND.replace("kind: Backend", "kind: Pod")).message())
        .contains(
            "kind: 'Pod' is not a Switchboard kind; use kind: Site, Service, Backend or Deployment");
    Rejection noName = rejected(BACKEND.replace("  name: api-lyon-1\n", "  labels: {}\n"));
    assertThat(noName.key()).isNull();
    assertThat(noName.message()).contains("metadata.name: missing");
    assertThat(rejected(BACKEND.replace("api-lyon-1", "Api_1")).message())
        .contains("metadata.name: 'Api_1' is not a valid name");
  }

  @Test
  void nonMappingDocumentCannotTakeAStatus() {
    Rejection r = rejected("- a\n- b\n");
    assertThat(r.writable()).isFalse();
    assertThat(r.message()).contains("a list, not a mapping");
  }

  @Test
  void syntaxErrorIsOneUnwritableRejectionForTheFile() {
    Rejection r =
        DocumentAdmission.syntaxError(
            "file", "api.yaml", new SyntaxError(7, 3, "mapping values are not allowed here"));
    assertThat(r.writable()).isFalse();
    assertThat(r.reason()).isEqualTo("YamlSyntaxError");
    assertThat(r.message()).startsWith("api.yaml:7:3: mapping values are not allowed here");
    assertThat(r.origin().line()).isEqualTo(7);
  }

  @Test
  void usesTheValidatorsProblems() {
    DocumentAdmission strict =
        new DocumentAdmission(
            Optional.of(
                document ->
                    document.at("/spec/port").asInt() > 1000
                        ? List.of(
                            new Problem("spec.port", "8080 is too high", "use a port below 1000"))
                        : List.of()));

    DocumentAdmission.Result result = admit(strict, BACKEND);

    assertThat(((DocumentAdmission.Result.Rejected) result).rejection().message())
        .endsWith("Backend/api-lyon-1: spec.port: 8080 is too high; use a port below 1000");
    assertThat(admit(strict, BACKEND.replace("8080", "80")))
        .isInstanceOf(DocumentAdmission.Result.Accepted.class);
  }
}
