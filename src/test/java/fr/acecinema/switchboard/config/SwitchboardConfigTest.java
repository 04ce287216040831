package fr.acecinema.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fr.acecinema.switchboard.validation.SubnetPolicy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;

class SwitchboardConfigTest {
  @Command(name = "t")
  static class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  private final Map<String, String> env = new HashMap<>();

  private SwitchboardConfig parse(String... args) {
    Holder holder = new Holder();
    new CommandLine(holder).setDefaultValueProvider(new EnvDefaults(env::get)).parseArgs(args);
    return holder.config;
  }

  @Test
  void usesDefaultsWhenNothingIsSet() {
    SwitchboardConfig c = parse();
    assertThat(c.manifests()).isEqualTo(Path.of("/etc/switchboard/manifests"));
    assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 7070));
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/switchboard"));
    assertThat(c.resync()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.workers()).isEqualTo(4);
    assertThat(c.logFormat()).isEqualTo(SwitchboardConfig.LogFormat.text);
    assertThat(c.caddyAdmin()).isEqualTo(URI.create("http://127.0.0.1:2019"));
    assertThat(c.caddyListen()).isEqualTo(":80");
    assertThat(c.caddyAutoHttps()).isTrue();
    assertThat(c.caddySync()).isTrue();
    assertThat(c.caddyResolver()).isEqualTo("127.0.0.1:7053");
    assertThat(c.caddyResolverRefresh()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.heartbeatTimeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(c.heartbeatMisses()).isEqualTo(3);
    assertThat(c.killSockets()).isTrue();
    assertThat(c.embeddedDatabase()).isTrue();
    assertThat(c.problems()).isEmpty();
  }

  @Test
  void readsEveryOptionFromItsEnvironmentVariable() {
    env.put("SWITCHBOARD_MANIFESTS", "/srv/fleet");
    env.put("SWITCHBOARD_LISTEN", "[::1]:9090");
    env.put("SWITCHBOARD_DATA_DIR", "/var/lib/switchboard");
    env.put("SWITCHBOARD_RESYNC", "1m30s");
    env.put("SWITCHBOARD_WORKERS", "8");
    env.put("SWITCHBOARD_LOG_FORMAT", "json");
    env.put("SWITCHBOARD_LOG_LEVEL", "debug");
    env.put("SWITCHBOARD_CADDY_ADMIN", "http://127.0.0.2:2019");
    env.put("SWITCHBOARD_CADDY_LISTEN", "127.0.0.1:8080");
    env.put("SWITCHBOARD_CADDY_AUTO_HTTPS", "off");
    env.put("SWITCHBOARD_CADDY_SYNC", "off");
    env.put("SWITCHBOARD_CADDY_RESOLVER", "127.0.0.1:0");
    env.put("SWITCHBOARD_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/sb");
    SwitchboardConfig c = parse();
    assertThat(c.manifests()).isEqualTo(Path.of("/srv/fleet"));
    assertThat(c.listen().getPort()).isEqualTo(9090);
    assertThat(c.listen().getAddress().isLoopbackAddress()).isTrue();
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/switchboard"));
    assertThat(c.resync()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.workers()).isEqualTo(8);
    assertThat(c.logFormat()).isEqualTo(SwitchboardConfig.LogFormat.json);
    assertThat(c.logLevel()).isEqualTo(SwitchboardConfig.LogLevel.debug);
    assertThat(c.caddyAdmin()).isEqualTo(URI.create("http://127.0.0.2:2019"));
    assertThat(c.caddyListen()).isEqualTo("127.0.0.1:8080");
    assertThat(c.caddyAutoHttps()).isFalse();
    assertThat(c.caddySync()).isFalse();
    assertThat(c.caddyResolver()).isEqualTo("127.0.0.1:0");
    assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/sb");
    assertThat(c.embeddedDatabase()).isFalse();
    assertThat(c.problems()).isEmpty();
  }

  @Test
  void refusesAResolverAddressWithoutPortAndZeroHeartbeatMisses() {
    env.put("SWITCHBOARD_CADDY_RESOLVER", "localhost");
    env.put("SWITCHBOARD_HEARTBEAT_MISSES", "0");
    assertThat(parse().problems())
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).contains("SWITCHBOARD_CADDY_RESOLVER").contains("HOST:PORT"))
        .anySatisfy(p -> assertThat(p).contains("SWITCHBOARD_HEARTBEAT_MISSES"));
  }

  @Test
  void flagWinsOverEnvironmentVariable() {
    env.put("SWITCHBOARD_WORKERS", "8");
    env.put("SWITCHBOARD_RESYNC", "1m");
    SwitchboardConfig c = parse("--workers", "2", "--resync=500ms");
    assertThat(c.workers()).isEqualTo(2);
    assertThat(c.resync()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void emptyVariableKeepsTheDefault() {
    env.put("SWITCHBOARD_LISTEN", "");
    assertThat(parse().listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 7070));
  }

  @Test
  void rejectsMalformedDurationNamingTheAcceptedForm() {
    assertThatThrownBy(() -> parse("--resync", "30"))
        .isInstanceOf(ParameterException.class)
        .hasMessageContaining("--resync")
        .hasMessageContaining("1m30s");
  }

  @Test
  void rejectsMalformedVariableValue() {
    env.put("SWITCHBOARD_CADDY_ADMIN", "127.0.0.1:2019");
    assertThatThrownBy(this::parse)
        .isInstanceOf(ParameterException.class)
        .hasMessageContaining("--caddy-admin")
        .hasMessageContaining("http://127.0.0.1:2019");
  }

  @Test
  void reportsOutOfRangeValuesWithFlagVariableAndFix() {
    SwitchboardConfig c =
        parse(
            "--workers=0",
            "--resync=100ms",
            "--caddy-listen=eighty",
            "--database-url=mysql://x",
            "--records-buffer=5");
    assertThat(c.problems())
        .containsExactly(
            "--workers / SWITCHBOARD_WORKERS is 0; use a number of workers between 1 and 256",
            "--resync / SWITCHBOARD_RESYNC is 100ms; use at least 1s (every resync re-reads all"
                + " manifests)",
            "--caddy-listen / SWITCHBOARD_CADDY_LISTEN is 'eighty'; write [HOST]:PORT, e.g. :80"
                + " or 127.0.0.1:8080",
            "--database-url / SWITCHBOARD_DATABASE_URL is 'mysql://x'; write"
                + " postgresql://USER:PASSWORD@HOST:5432/DB or jdbc:postgresql://HOST:PORT/DB, or"
                + " leave it empty for the embedded database",
            "--records-buffer / SWITCHBOARD_RECORDS_BUFFER is 5; use between 100 and 10000000"
                + " records");
  }

  @Test
  void acceptsLibpqDatabaseUrlsAndHidesTheirPasswordInProblems() {
    assertThat(parse("--database-url=postgresql://sb:secret@db:5432/switchboard").problems())
        .isEmpty();
    assertThat(parse("--database-url=mysql://sb:secret@db/x").problems().get(0))
        .contains("mysql://sb:***@db/x")
        .doesNotContain("secret");
  }

  @Test
  void refusesCredentialsInAWebhookUrlWithoutShowingThem() {
    env.put("SWITCHBOARD_WEBHOOK_SECRET", "0123456789abcdef0123");
    assertThat(parse("--webhook=https://hooks.example/x").problems()).isEmpty();
    assertThat(parse("--webhook=https://hooks.example/x").webhooks())
        .containsExactly(URI.create("https://hooks.example/x"));
    for (String url :
        List.of(
            "https://hook:s3cret@hooks.example/x",
            "https://s3cret@hooks.example:8443/x?a=b@c",
            "http://hook:s3cret@10.0.0.9")) {
      List<String> problems = parse("--webhook=" + url).problems();
      assertThat(problems).as(url).hasSize(1);
      assertThat(problems.get(0))
          .as(url)
          .startsWith("--webhook / SWITCHBOARD_WEBHOOK: '")
          .contains("***@", "has credentials (user:password@) in it", "remove them")
          .doesNotContain("s3cret");
    }
    assertThatThrownBy(() -> parse("--server=https://me:s3cret@hub:7070").server())
        .hasMessageContaining("has credentials")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void allowsNoExtraSiteSubnetsUnlessAskedAndRefusesABlockThatIsNotACidrNetwork() {
    assertThat(parse().subnetPolicy()).isEqualTo(SubnetPolicy.SITES_ONLY);
    env.put("SWITCHBOARD_ALLOW_SUBNETS", "127.0.0.0/8,fe80::/10");
    assertThat(parse().subnetPolicy().allowed())
        .extracting(Object::toString)
        .containsExactly("127.0.0.0/8", "fe80::/10");
    assertThat(parse("--allow-subnets=127.0.0.1/8").problems())
        .containsExactly(
            "--allow-subnets / SWITCHBOARD_ALLOW_SUBNETS: '127.0.0.1/8' has host bits set; write"
                + " the network address: 127.0.0.0/8; write CIDR blocks separated by commas, e.g."
                + " 127.0.0.0/8");
  }

  @Test
  void storesApiWritesAsFilesUnlessTheTableIsAskedFor() {
    assertThat(parse().apiTarget()).isEqualTo(SwitchboardConfig.ApiTarget.file);
    env.put("SWITCHBOARD_API_TARGET", "table");
    assertThat(parse().apiTarget()).isEqualTo(SwitchboardConfig.ApiTarget.table);
    assertThat(parse().problems()).isEmpty();
  }

  @Test
  void refusesTheTableApiTargetWithoutRecords() {
    assertThat(parse("--api-target=table", "--records=off").problems())
        .containsExactly(
            "--api-target / SWITCHBOARD_API_TARGET is table but --records / SWITCHBOARD_RECORDS is"
                + " off: the resources table lives in PostgreSQL; turn records on, or use"
                + " --api-target file");
    assertThat(parse("--api-target=file", "--records=off").problems()).isEmpty();
  }

  @Test
  void derivesVariableNamesFromLongFlags() {
    assertThat(EnvDefaults.variableFor("--caddy-auto-https"))
        .isEqualTo("SWITCHBOARD_CADDY_AUTO_HTTPS");
  }

  @Test
  void theAgentsOptionsHaveDefaultsAndAreReadFromTheirVariables() {
    SwitchboardConfig defaults = parse();
    assertThat(defaults.hub()).isEmpty();
    assertThat(defaults.dockerSocket()).isEqualTo(Path.of("/var/run/docker.sock"));
    assertThat(defaults.advertiseAddress()).isEmpty();
    assertThat(defaults.agentInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.agentResync()).isEqualTo(Duration.ofSeconds(30));
    // Nothing of the agent is required of the other commands.
    assertThat(defaults.problems()).isEmpty();

    env.put("SWITCHBOARD_HUB", "https://10.200.0.1:7443");
    env.put("SWITCHBOARD_SITE", "dijon");
    env.put("SWITCHBOARD_TOKEN", "secret");
    env.put("SWITCHBOARD_DOCKER_SOCKET", "/run/docker.sock");
    env.put("SWITCHBOARD_ADVERTISE_ADDRESS", "10.200.1.5");
    env.put("SWITCHBOARD_AGENT_INTERVAL", "2s");
    env.put("SWITCHBOARD_AGENT_RESYNC", "1m");
    SwitchboardConfig c = parse();

    assertThat(c.hub()).contains(URI.create("https://10.200.0.1:7443"));
    assertThat(c.site()).isEqualTo("dijon");
    assertThat(c.dockerSocket()).isEqualTo(Path.of("/run/docker.sock"));
    assertThat(c.advertiseAddress()).contains("10.200.1.5");
    assertThat(c.agentInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.agentResync()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.agentProblems()).isEmpty();
  }

  @Test
  void anAgentTakesEveryHubOfAFleetRunByTwoAndRefusesOneNamedTwice() {
    env.put("SWITCHBOARD_SITE", "dijon");
    env.put("SWITCHBOARD_TOKEN", "secret");
    SwitchboardConfig two = parse("--hub", "https://10.200.255.1:7443, https://10.200.254.1:7443");
    assertThat(two.hubs())
        .containsExactly(
            URI.create("https://10.200.255.1:7443"), URI.create("https://10.200.254.1:7443"));
    assertThat(two.agentProblems()).isEmpty();
    assertThat(
            parse("--hub", "https://10.200.255.1:7443,https://10.200.255.1:7443").agentProblems())
        .containsExactly("--hub / SWITCHBOARD_HUB names a hub twice: give each hub's API once");
  }

  @Test
  void leaderElectionNeedsTheTableAsApiTarget() {
    String db = "--database-url=postgresql://sb:secret@db:5432/switchboard";
    assertThat(parse(db, "--leader-election=on").problems())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("--api-target table");
    assertThat(parse(db, "--leader-election=on", "--api-target=table").problems()).isEmpty();
  }
}
