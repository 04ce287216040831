package fr.acecinema.switchboard.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaValidatorTest {
  private static final SchemaValidator VALIDATOR = new SchemaValidator();
  private static final YAMLMapper YAML = new YAMLMapper();

  private static final String BACKEND =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Backend
      metadata:
        name: api-dijon
      spec:
        service: api
        site: dijon
        address: 10.200.0.23
        port: 8080
      """;

  private static List<String> problems(String yaml) throws Exception {
    JsonNode doc = YAML.readTree(yaml);
    return VALIDATOR.validate(doc).stream().map(Problem::describe).toList();
  }

  private static List<String> backendWith(String from, String to) throws Exception {
    assertThat(BACKEND).contains(from);
    return problems(BACKEND.replace(from, to));
  }

  @Test
  void acceptsAMinimalBackend() throws Exception {
    assertThat(problems(BACKEND)).isEmpty();
  }

  @Test
  void loadsTheGeneratedCrdOfEveryKind() {
    assertThat(VALIDATOR.kinds())
        .containsExactlyInAnyOrder("Site", "Service", "Backend", "Deployment");
  }

  @Test
  void namesTheMaximumAndTheFixForAPortOutOfRange() throws Exception {
    assertThat(backendWith("port: 8080", "port: 70000"))
        .containsExactly(
            "spec.port: 70000 is above the maximum 65535; use a TCP port between 1 and 65535");
  }

  @Test
  void suggestsTheCloseNameOfAMisspeltField() throws Exception {
    assertThat(backendWith("port: 8080", "port: 8080\n  weigth: 3"))
        .containsExactly("spec.weigth: unknown field; did you mean 'weight'?");
  }

  @Test
  void rejectsUnknownFieldsAtEveryDepth() throws Exception {
    assertThat(backendWith("port: 8080", "port: 8080\n  healthCheck:\n    intervall: 2s"))
        .containsExactly("spec.healthCheck.intervall: unknown field; did you mean 'interval'?");
    assertThat(problems(BACKEND + "extra: 1\n"))
        .singleElement()
        .asString()
        .startsWith("extra: unknown field");
    assertThat(backendWith("name: api-dijon", "name: api-dijon\n  owner: me"))
        .singleElement()
        .asString()
        .startsWith("metadata.owner: unknown field; remove it");
  }

  @Test
  void explainsWhatADurationLooksLike() throws Exception {
    assertThat(backendWith("port: 8080", "port: 8080\n  healthCheck:\n    interval: 5 seconds"))
        .containsExactly(
            "spec.healthCheck.interval: '5 seconds' is not a duration; write e.g. 500ms, 2s or 1m30s");
  }

  @Test
  void refusesHostNamesAsAddressesAndSaysWhy() throws Exception {
    assertThat(backendWith("10.200.0.23", "api.dijon.lan"))
        .singleElement()
        .asString()
        .startsWith("spec.address: 'api.dijon.lan' is not an IP address")
        .contains("never resolves host names");
    // Matches the schema's character class, but is still a name, not an address.
    assertThat(backendWith("10.200.0.23", "dead.beef"))
        .singleElement()
        .asString()
        .contains("'dead.beef' is not an IP address");
    assertThat(backendWith("10.200.0.23", "10.200.0.23:8080"))
        .containsExactly(
            "spec.address: '10.200.0.23:8080' includes a port; write address: 10.200.0.23 and port: 8080");
    assertThat(backendWith("10.200.0.23", "fd00:200::23")).isEmpty();
  }

  @Test
  void tellsToUnquoteANumberWrittenAsAString() throws Exception {
    assertThat(backendWith("port: 8080", "port: \"8080\""))
        .containsExactly(
            "spec.port: expected a whole number, got the string '8080'; write 8080 without quotes");
  }

  @Test
  void suggestsTheCloseEnumValue() throws Exception {
    assertThat(backendWith("port: 8080", "port: 8080\n  role: Standby"))
        .containsExactly(
            "spec.role: 'Standby' is not one of primary, standby; did you mean 'standby'?");
  }

  @Test
  void listsMissingRequiredFields() throws Exception {
    assertThat(backendWith("  port: 8080\n", ""))
        .singleElement()
        .asString()
        .startsWith("spec.port: required field missing; add port:");
    assertThat(problems(BACKEND.substring(0, BACKEND.indexOf("spec:"))))
        .containsExactly(
            "spec: required field missing; add spec: with at least address, port, service, site");
  }

  @Test
  void checksTheEnvelope() throws Exception {
    assertThat(backendWith("v1alpha1", "v1"))
        .containsExactly(
            "apiVersion: 'switchboard.acecinema.fr/v1' is not the API version of Backend; write"
                + " apiVersion: switchboard.acecinema.fr/v1alpha1");
    assertThat(backendWith("kind: Backend", "kind: Backned"))
        .containsExactly("kind: 'Backned' is not a Switchboard kind; did you mean 'Backend'?");
    assertThat(backendWith("name: api-dijon", "name: Api_Dijon"))
        .singleElement()
        .asString()
        .startsWith("metadata.name: 'Api_Dijon' is not a valid name")
        .endsWith("e.g. 'api-dijon'");
    assertThat(backendWith("  name: api-dijon\n", "  labels:\n    tier: 1\n"))
        .containsExactlyInAnyOrder(
            "metadata.labels.tier: expected a string, got 1; quote the value: \"1\"",
            "metadata.name: required field missing; add name: a unique lowercase name for the"
                + " resource, e.g. dijon");
  }

  @Test
  void ignoresStatusAndAcceptsUsualMetadata() throws Exception {
    assertThat(
            backendWith(
                "name: api-dijon",
                "name: api-dijon\n  namespace: default\n  generation: 3\n  uid: x\n"
                    + "  annotations:\n    note: hi"))
        .isEmpty();
    assertThat(problems(BACKEND + "status:\n  anything: [1, 2]\n")).isEmpty();
  }

  @Test
  void rejectsDocumentsThatAreNotMappings() throws Exception {
    assertThat(problems("- kind: Site\n"))
        .singleElement()
        .asString()
        .startsWith("(document): is a list, not a mapping");
    assertThat(VALIDATOR.validate(null))
        .extracting(Problem::message)
        .containsExactly("the document is empty");
  }

  private static final String SITE =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Site
      metadata:
        name: dijon
      spec:
        subnet: 10.200.0.0/24
      """;

  @Test
  void suggestsTheNetworkAddressOfASubnetWithHostBits() throws Exception {
    assertThat(problems(SITE)).isEmpty();
    assertThat(problems(SITE.replace("10.200.0.0/24", "10.200.0.23/24")))
        .containsExactly(
            "spec.subnet: '10.200.0.23/24' has host bits set; write the network address: 10.200.0.0/24");
    assertThat(problems(SITE.replace("10.200.0.0/24", "10.200.0.0/33")))
        .singleElement()
        .asString()
        .contains("longer than an IPv4 address");
    assertThat(problems(SITE.replace("10.200.0.0/24", "fd00:200::/64"))).isEmpty();
  }

  private static final String SERVICE =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Service
      metadata:
        name: api
      spec:
        hosts: [api.acecinema.fr]
      """;

  private static List<String> serviceWith(String extra) throws Exception {
    return problems(SERVICE + extra);
  }

  @Test
  void requiresTheTimeoutBelowTheInterval() throws Exception {
    assertThat(serviceWith("  healthCheck:\n    interval: 2s\n    timeout: 2s\n"))
        .singleElement()
        .asString()
        .startsWith("spec.healthCheck.timeout: timeout 2s is not below interval 2s");
    // The service's check is completed by the defaults (interval 2s).
    assertThat(serviceWith("  healthCheck:\n    timeout: 3s\n"))
        .singleElement()
        .asString()
        .contains("interval 2s (default)");
    assertThat(serviceWith("  healthCheck:\n    interval: 10s\n    timeout: 3s\n")).isEmpty();
    // A backend's override alone cannot be judged: the service may set a longer interval.
    assertThat(backendWith("port: 8080", "port: 8080\n  healthCheck:\n    timeout: 3s")).isEmpty();
  }

  @Test
  void reportsReversedStatusRanges() throws Exception {
    assertThat(serviceWith("  healthCheck:\n    expectStatus: 200,399-200\n"))
        .containsExactly(
            "spec.healthCheck.expectStatus: range 399-200 is reversed; write the lower code first: 200-399");
    assertThat(serviceWith("  healthCheck:\n    expectStatus: 200\n"))
        .containsExactly(
            "spec.healthCheck.expectStatus: expected a string, got 200; quote it: \"200\"");
  }

  @Test
  void reportsDuplicateHostsAndBadPathPrefixes() throws Exception {
    assertThat(
            problems(SERVICE.replace("[api.acecinema.fr]", "[api.acecinema.fr, api.acecinema.fr]")))
        .containsExactly(
            "spec.hosts[1]: 'api.acecinema.fr' is listed twice (also spec.hosts[0]); remove the duplicate");
    assertThat(serviceWith("  pathPrefix: api/\n"))
        .singleElement()
        .asString()
        .startsWith("spec.pathPrefix: 'api/' is not a path prefix; start with '/'");
    assertThat(problems(SERVICE.replace("[api.acecinema.fr]", "api.acecinema.fr")))
        .containsExactly(
            "spec.hosts: expected a list, got the string 'api.acecinema.fr'; write a list, e.g."
                + " hosts: [api.acecinema.fr]");
    assertThat(problems(SERVICE.replace("[api.acecinema.fr]", "[]")))
        .containsExactly("spec.hosts: the list is empty; list at least 1 item");
  }

  @Test
  void rejectsAnEmptyValue() throws Exception {
    assertThat(serviceWith("  healthCheck:\n"))
        .containsExactly("spec.healthCheck: has no value; give it a value or delete the line");
  }

  @Test
  void everyPatternInTheCrdsHasAHumanHint() throws Exception {
    List<String> patterns = new java.util.ArrayList<>();
    for (String f : List.of("sites", "services", "backends")) {
      JsonNode crd =
          YAML.readTree(getClass().getResource("/crds/" + f + ".switchboard.acecinema.fr-v1.yml"));
      crd.findValues("pattern").forEach(p -> patterns.add(p.asText()));
    }
    assertThat(patterns).isNotEmpty().allSatisfy(p -> assertThat(Hints.knows(p)).as(p).isTrue());
  }
}
