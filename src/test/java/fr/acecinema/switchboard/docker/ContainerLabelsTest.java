package fr.acecinema.switchboard.docker;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.docker.ContainerLabels.Reading;
import fr.acecinema.switchboard.validation.Problem;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ContainerLabelsTest {
  private static Map<String, String> labels(String... keyValues) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  /** The problems of a container labelled service api, port 8080, and {@code extra}. */
  private static List<Problem> problemsWith(String... extra) {
    Map<String, String> l = labels("switchboard.service", "api", "switchboard.port", "8080");
    l.putAll(labels(extra));
    return problems(ContainerLabels.read("web1", l));
  }

  /** The problems of container web1 labelled {@code keyValues} alone. */
  private static List<Problem> problemsOf(String... keyValues) {
    return problems(ContainerLabels.read("web1", labels(keyValues)));
  }

  private static List<Problem> problems(Reading r) {
    assertThat(r).isInstanceOf(Reading.Rejected.class);
    return ((Reading.Rejected) r).problems();
  }

  @Test
  void aContainerWithoutSwitchboardLabelsIsNotManaged() {
    Reading r =
        ContainerLabels.read("db", labels("com.docker.compose.service", "db", "maintainer", "x"));

    assertThat(r).isInstanceOf(Reading.NotManaged.class);
  }

  @Test
  void serviceAndPortAloneRegisterWithTheBackendDefaultsLeftUnset() {
    Reading r =
        ContainerLabels.read(
            "web1", labels("switchboard.service", "api", "switchboard.port", "8080", "other", "1"));

    assertThat(r)
        .isEqualTo(
            new Reading.Registered(
                new ContainerRegistration(
                    "api", 8080, OptionalInt.empty(), Optional.empty(), Optional.empty())));
  }

  @Test
  void everyOptionalLabelIsRead() {
    Reading r =
        ContainerLabels.read(
            "web1",
            labels(
                "switchboard.service", "api",
                "switchboard.port", "8080",
                "switchboard.weight", "10",
                "switchboard.role", "standby",
                "switchboard.health.path", "/_health"));

    assertThat(r)
        .isEqualTo(
            new Reading.Registered(
                new ContainerRegistration(
                    "api",
                    8080,
                    OptionalInt.of(10),
                    Optional.of(BackendSpec.Role.STANDBY),
                    Optional.of("/_health"))));
  }

  @Test
  void aRegistrationBecomesABackendSpecOnTheAgentsSiteAndAddress() {
    ContainerRegistration reg =
        new ContainerRegistration(
            "api",
            8080,
            OptionalInt.of(5),
            Optional.of(BackendSpec.Role.PRIMARY),
            Optional.of("/h"));

    BackendSpec spec = reg.toSpec("dijon", "10.200.0.23");

    assertThat(spec.service).isEqualTo("api");
    assertThat(spec.site).isEqualTo("dijon");
    assertThat(spec.address).isEqualTo("10.200.0.23");
    assertThat(spec.port).isEqualTo(8080);
    assertThat(spec.weight).isEqualTo(5);
    assertThat(spec.role).isEqualTo(BackendSpec.Role.PRIMARY);
    assertThat(spec.healthCheck.path).isEqualTo("/h");
  }

  @Test
  void aPortAboveTheRangeIsRejectedNamingContainerLabelAndRange() {
    Reading r =
        ContainerLabels.read(
            "web1", labels("switchboard.service", "api", "switchboard.port", "70000"));

    assertThat(((Reading.Rejected) r).describe())
        .isEqualTo(
            "container web1: label switchboard.port: 70000 is above the maximum 65535; use a TCP"
                + " port between 1 and 65535");
  }

  @Test
  void aPortThatIsNotANumberIsRejected() {
    assertThat(problemsOf("switchboard.service", "api", "switchboard.port", "http"))
        .containsExactly(
            new Problem(
                "switchboard.port",
                "expected a whole number, got the string 'http'",
                "write a whole number"));
  }

  @Test
  void aMissingPortIsRejectedWithTheLabelToAdd() {
    assertThat(problemsOf("switchboard.service", "api"))
        .containsExactly(
            new Problem("switchboard.port", "is missing", "add the label switchboard.port=8080"));
  }

  @Test
  void aWeightOutOfRangeIsRejectedWithTheRange() {
    assertThat(problemsWith("switchboard.weight", "0"))
        .containsExactly(
            new Problem(
                "switchboard.weight",
                "0 is below the minimum 1",
                "use a weight between 1 and 100"));
  }

  @Test
  void anUnknownRoleIsRejectedWithASuggestion() {
    assertThat(problemsWith("switchboard.role", "standy"))
        .containsExactly(
            new Problem(
                "switchboard.role",
                "'standy' is not one of primary, standby",
                "did you mean 'standby'?"));
  }

  @Test
  void anInvalidServiceNameIsRejectedAsTheManifestValidatorWouldReject() {
    List<Problem> p = problemsOf("switchboard.service", "API_v1", "switchboard.port", "8080");

    assertThat(p).hasSize(1);
    assertThat(p.getFirst().path()).isEqualTo("switchboard.service");
    assertThat(p.getFirst().message()).isEqualTo("'API_v1' is not a valid name");
  }

  @Test
  void aHealthPathWithoutLeadingSlashIsRejected() {
    assertThat(problemsWith("switchboard.health.path", "health"))
        .containsExactly(
            new Problem(
                "switchboard.health.path",
                "'health' does not start with '/'",
                "write an absolute path, e.g. /health"));
  }

  @Test
  void aMisspeltLabelIsRejectedWithTheLabelMeant() {
    assertThat(problemsWith("switchboard.wieght", "3"))
        .containsExactly(
            new Problem(
                "switchboard.wieght",
                "is not a label Switchboard reads",
                "did you mean 'switchboard.weight'?"));
  }

  @Test
  void aMisspeltLabelInsideTheHealthGroupIsRejectedWithTheLabelMeant() {
    assertThat(problemsWith("switchboard.health.pth", "/h", "switchboard.helth.path", "/h"))
        .containsExactly(
            new Problem(
                "switchboard.health.pth",
                "is not a label Switchboard reads",
                "did you mean 'switchboard.health.path'?"),
            new Problem(
                "switchboard.helth.path",
                "is not a label Switchboard reads",
                "did you mean 'switchboard.health.path'?"));
  }

  @Test
  void aGroupNameOrALabelBelowAValueIsAnUnknownLabelListingTheKnownOnes() {
    String known =
        "use switchboard.service, switchboard.port, switchboard.weight, switchboard.role,"
            + " switchboard.health.path";

    assertThat(
            problemsWith(
                "switchboard.health", "/h", "switchboard.port.tcp", "1", "switchboard..x", "1"))
        .containsExactly(
            new Problem("switchboard..x", "is not a label Switchboard reads", known),
            new Problem("switchboard.health", "is not a label Switchboard reads", known),
            new Problem("switchboard.port.tcp", "is not a label Switchboard reads", known));
  }

  @Test
  void everyProblemOfAContainerIsReportedAtOnce() {
    List<Problem> p = problemsOf("switchboard.weight", "500", "switchboard.colour", "red");

    assertThat(p)
        .extracting(Problem::path)
        .containsExactlyInAnyOrder(
            "switchboard.service", "switchboard.port", "switchboard.weight", "switchboard.colour");
  }
}
