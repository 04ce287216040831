package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code sbctl agent}'s configuration errors: all said at once, before anything starts. */
class AgentCommandTest {
  private final Map<String, String> env = new HashMap<>();

  @Test
  void withoutHubSiteAndTokenItIsAUsageErrorNamingAllThree() {
    InProcessSbctl.Result r = InProcessSbctl.run(env, "agent");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--hub / SWITCHBOARD_HUB is not set")
        .contains("--site / SWITCHBOARD_SITE is not set")
        .contains("--token / SWITCHBOARD_TOKEN is not set")
        .contains("sbctl token create NAME --site SITE --scope agent")
        .contains("Run 'sbctl agent --help' for usage.");
  }

  @Test
  void aBadHubUrlSiteOrAddressIsAUsageErrorWithTheFix() {
    env.put("SWITCHBOARD_TOKEN", "t");
    env.put("SWITCHBOARD_HUB", "10.200.0.1:7443");

    InProcessSbctl.Result r =
        InProcessSbctl.run(
            env,
            "agent",
            "--site",
            "Dijon_1",
            "--advertise-address",
            "site.lan",
            "--agent-interval",
            "10m");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--hub / SWITCHBOARD_HUB: '10.200.0.1:7443' is not a URL")
        .contains("--site / SWITCHBOARD_SITE is 'Dijon_1', not a Site name")
        .contains("--advertise-address / SWITCHBOARD_ADVERTISE_ADDRESS is 'site.lan'")
        .contains("--agent-interval / SWITCHBOARD_AGENT_INTERVAL is 600000ms; use 1s to 5m");
  }

  @Test
  void anUnreadableServerCaIsAUsageError() {
    InProcessSbctl.Result r =
        InProcessSbctl.run(
            env,
            "agent",
            "--hub",
            "https://10.200.0.1:7443",
            "--site",
            "dijon",
            "--token",
            "t",
            "--server-ca",
            "/nonexistent/hub.pem");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--server-ca / SWITCHBOARD_SERVER_CA /nonexistent/hub.pem");
  }

  @Test
  void theHelpListsTheAgentsOptionsAndVariables() {
    InProcessSbctl.Result r = InProcessSbctl.run(env, "agent", "--help");

    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith("Usage: sbctl agent")
        .contains("--hub=URL", "--site=SITE", "--docker-socket=FILE", "--advertise-address=IP")
        .contains("Default: /var/run/docker.sock")
        .contains(
            "SWITCHBOARD_HUB",
            "SWITCHBOARD_SITE",
            "SWITCHBOARD_DOCKER_SOCKET",
            "SWITCHBOARD_ADVERTISE_ADDRESS",
            "SWITCHBOARD_AGENT_INTERVAL",
            "SWITCHBOARD_AGENT_RESYNC");
  }
}
