package fr.acecinema.switchboard.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Generates {@code docs/configuration.md} from {@link SwitchboardConfig}'s annotations, so the
 * documented flags, variables and defaults are the ones the code reads. {@code
 * ConfigurationDocsTest} fails when the committed file differs.
 */
public final class ConfigurationDocs {
  /** Where the generated file lives, relative to the repository root. */
  public static final Path FILE = Path.of("docs", "configuration.md");

  /** The command that rewrites {@link #FILE} (the test writes it when the property is set). */
  public static final String REGENERATE =
      "mvn -B -q -o test -Dtest=ConfigurationDocsTest -Dswitchboard.writeDocs=true";

  @Command(name = "switchboard")
  private static final class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  private ConfigurationDocs() {}

  /** The Markdown text of {@code docs/configuration.md}. */
  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration\n\n")
        .append("<!-- Generated from fr.acecinema.switchboard.config.SwitchboardConfig by\n")
        .append("     ConfigurationDocs; do not edit by hand. Regenerate with:\n")
        .append("     ")
        .append(REGENERATE)
        .append(" -->\n\n")
        .append(
            """
            Every setting is a command-line flag and an environment variable with a default.
            A flag wins over the variable, the variable wins over the default. The flags work
            on every `sbctl` subcommand (`sbctl get backends --manifests DIR`) and before it
            (`sbctl --manifests DIR get backends`); `sbctl --help` lists them too.

            | Flag | Environment variable | Default | Description |
            |------|----------------------|---------|-------------|
            """);
    for (OptionSpec option : new CommandLine(new Holder()).getCommandSpec().options()) {
      String variable = EnvDefaults.variableFor(option).orElseThrow();
      md.append("| `")
          .append(option.longestName())
          .append(' ')
          .append(option.paramLabel().replace("|", "\\|"))
          .append("` | `")
          .append(variable)
          .append("` | ")
          .append(option.defaultValue().isEmpty() ? "*(empty)*" : "`" + option.defaultValue() + "`")
          .append(" | ")
          .append(String.join(" ", option.description()).replace("|", "\\|"))
          .append(" |\n");
    }
    md.append(
        """

        ## Why these defaults

        - `--manifests /etc/switchboard/manifests`, `--data-dir /var/lib/switchboard`: absolute,
          the layout of the systemd unit in operations.md. Relative defaults (they were
          `./manifests` and `./var`) made `sbctl get all` in a checkout list the example fleets
          and `sbctl run` there probe them and route their hosts, and put the data dir at `/var`
          under a service manager whose working directory is `/`. A checkout, the demo and the
          tests pass their own directories; the image sets `/manifests`.
        - `--listen 127.0.0.1:7070`: health endpoints are for the local supervisor (systemd,
          Docker health check); exposing them further is an explicit choice.
        - `--resync 30s`: file events can be lost (editors, network file systems); a full
          rescan every 30 s bounds how long a missed change stays unseen, at the cost of
          re-reading the manifest files.
        - `--shutdown-grace 2s`: after SIGTERM, `/readyz` answers 503 for 2 s while the
          listener stays open, so a load balancer or supervisor polling it every second sees
          the stop at least once before the port closes (without it the port closed within a
          millisecond and a poller only ever saw 200, then connection refused). Two seconds
          adds little to a restart and stays well inside Docker's 10 s and systemd's 90 s stop
          timeouts; routing and probing go on meanwhile, so nothing is lost by waiting.
        - `--workers 4`: reconciles wait mostly on I/O (probes, Caddy, PostgreSQL); four keep a
          small fleet converging quickly without crowding a small hub.
        - `--caddy-admin http://127.0.0.1:2019`: Caddy's own default admin address.
        - `--caddy-sync on`: `sbctl run` on a hub is there to route; tests of the core and
          tools that must not touch a Caddy set `off`.
        - `--caddy-listen :80`, `--caddy-auto-https on`: plain HTTP works everywhere, because
          Caddy never applies automatic HTTPS to a listener on port 80. A public hub with DNS
          pointing at it sets `SWITCHBOARD_CADDY_LISTEN=:443` and gets certificates and the
          HTTP→HTTPS redirect with no other setting; tests and the demo set `off`.
        - `--caddy-resolver 127.0.0.1:7053`: Caddy and Switchboard share the hub; health
          reaches Caddy through this resolver, never through a reload (docs/caddy.md).
          `--caddy-resolver-refresh 100ms`: one loopback lookup per service every 100 ms under
          load bounds how late Caddy follows a verdict.
        - `--heartbeat-interval 100ms`, `--heartbeat-timeout 200ms`, `--heartbeat-misses 3`: a
          host that stops answering is out of rotation 0.4-0.5 s after it went silent, whatever
          its services' health checks say; three misses in a row (not one) so a lost packet on
          a real WAN never takes a site out, and 200 ms leaves room for a slow round trip
          (measured in docs/performance.md with 20-80 ms of added delay and a saturated hub).
        - `--kill-sockets on`: without it, requests already sent to a site that went silent
          wait their `responseTimeout` (2 s) and WebSockets to it hang for minutes.
        - `--database-url` empty: an embedded PostgreSQL in the data dir, so one process is a
          complete installation; point it at a real server for production.
        - `--log-format text`: readable in a terminal; use `json` under a log collector.
          Logs go to stderr so `sbctl get -o json` output stays clean.
        """);
    return md.toString();
  }

  /** Writes the file under {@code root} (the repository root by default). */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : ".");
    Path file = root.resolve(FILE);
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown(), StandardCharsets.UTF_8);
    System.out.println("wrote " + file);
  }
}
