package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.Settings;
import fr.acecinema.switchboard.reconciler.RoutePlanner;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl render caddy}: what Switchboard would push, computed from the manifests. */
@Command(
    name = "render",
    description = "Print configuration Switchboard derives from the manifests.",
    subcommands = {RenderCommand.Caddy.class})
final class RenderCommand implements Runnable {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "say what to render: caddy");
  }

  /** {@code sbctl render caddy [--assume-ready] [--as-config]}. */
  @Command(
      name = "caddy",
      description = {
        "Print Switchboard's Caddy server (JSON) as the router would push it, from the manifests:"
            + " routes and static upstreams depend on specs only (not draining, site not in"
            + " maintenance). On stderr, what the upstream resolver would answer per service: the"
            + " backends whose last written Healthy condition is True (no probe runs here)."
            + " --assume-ready answers every such backend as if healthy.",
        "Listen address and automatic HTTPS come from --caddy-listen and --caddy-auto-https."
      })
  static final class Caddy implements Callable<Integer> {
    @ParentCommand RenderCommand parent;
    @Spec CommandSpec spec;

    @Option(
        names = "--assume-ready",
        description = "Treat every backend as healthy (e.g. before the operator ever ran).")
    boolean assumeReady;

    @Option(
        names = "--as-config",
        description =
            "Wrap the server in a whole Caddy config ({\"apps\":{\"http\":{\"servers\":...}}}),"
                + " loadable with `caddy run --config FILE` on a Caddy of its own.")
    boolean asConfig;

    @Override
    public Integer call() throws Exception {
      Sbctl root = parent.root;
      root.setUpLogging(false);
      var config = root.config();
      List<HasMetadata> resources = root.fleets().view(config).resources();
      List<Service> services = of(resources, Service.class);
      List<Backend> backends = of(resources, Backend.class);
      List<Site> sites = of(resources, Site.class);
      Predicate<Backend> healthy = assumeReady ? b -> true : RoutePlanner::healthy;
      RoutePlanner.Plan plan = RoutePlanner.plan(services, backends, sites, healthy, Map.of());
      Settings settings =
          Settings.defaults()
              .withListen(List.of(config.caddyListen()), config.caddyAutoHttps())
              .withResolver(config.caddyResolver(), config.caddyResolverRefresh());
      ObjectNode server = CaddyConfigBuilder.desired(plan.services(), settings);
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode out = server;
      if (asConfig) {
        out = mapper.createObjectNode();
        out.putObject("apps")
            .putObject("http")
            .putObject("servers")
            .set(Settings.SERVER_NAME, server);
      }
      spec.commandLine()
          .getOut()
          .println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
      spec.commandLine().getOut().flush();
      var err = spec.commandLine().getErr();
      err.printf(
          "# revision %s: %d services, %d backends routed%s%n",
          CaddyConfigBuilder.revision(server),
          plan.services().size(),
          plan.liveBackends().size(),
          assumeReady ? " (--assume-ready)" : " (health from the last written status)");
      plan.answers()
          .forEach(
              (name, tiers) ->
                  err.println(
                      "# resolver answers for "
                          + name
                          + ": "
                          + tiers.stream()
                              .map(
                                  t ->
                                      t.upstreams().stream()
                                          .map(u -> u.dial() + " w" + u.weight())
                                          .toList()
                                          .toString())
                              .toList()
                          + (plan.lastResort().contains(name)
                              ? " (no healthy backend: every routable one, as a last resort)"
                              : "")));
      plan.invalid()
          .forEach((name, why) -> err.println("# service " + name + " cannot be routed: " + why));
      err.flush();
      return Sbctl.OK;
    }

    private static <T> List<T> of(List<HasMetadata> all, Class<T> type) {
      return all.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }
}
