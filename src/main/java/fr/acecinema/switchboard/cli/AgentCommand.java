package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.agent.AdvertiseAddress;
import fr.acecinema.switchboard.agent.FailoverHubClient;
import fr.acecinema.switchboard.agent.HttpHubClient;
import fr.acecinema.switchboard.agent.HubClient;
import fr.acecinema.switchboard.agent.SiteAgent;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.docker.DockerJavaEngine;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl agent}: a site's agent ({@link SiteAgent}) next to the site's Docker engine. Blocks
 * until SIGTERM or SIGINT, on which it stops and leaves its Backends on the hub: the next agent of
 * the site adopts them without a write, so a restart or an upgrade moves no traffic.
 */
@Command(
    name = "agent",
    description =
        "Run a site's agent: register this site's labelled Docker containers (switchboard.service,"
            + " switchboard.port, ...) as Backends on the hub and heartbeat it. Needs --hub,"
            + " --site and --token. Stops on SIGTERM and leaves the Backends in place.")
final class AgentCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SwitchboardConfig config = root.config();
    List<String> problems = new ArrayList<>(config.agentProblems());
    if (config.serverCa().isPresent()) {
      try {
        LocalFleetAccess.trusting(new OkHttpClient(), config);
      } catch (IllegalStateException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), String.join("\n       ", problems));
    }
    root.setUpLogging(true);
    OkHttpClient http = LocalFleetAccess.trusting(new OkHttpClient(), config);
    List<HubClient> hubs = new ArrayList<>();
    for (URI url : config.hubs()) {
      hubs.add(new HttpHubClient(url, config.token(), http));
    }
    // Two hubs sharing the fleet: heartbeats to each, the rest through the one that answers.
    HubClient hub = hubs.size() == 1 ? hubs.getFirst() : new FailoverHubClient(hubs);
    SiteAgent.Settings settings =
        new SiteAgent.Settings(
            config.site(),
            config.advertiseAddress(),
            config.agentInterval(),
            config.agentResync(),
            Sbctl.Version.version());
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onTermination(stop::countDown);
    try (DockerJavaEngine engine = new DockerJavaEngine(config.dockerSocket());
        SiteAgent agent =
            new SiteAgent(settings, engine, hub, root.clock(), AdvertiseAddress::local)) {
      agent.start(stop::countDown);
      LOG.info(
          "site agent of {} started: hub {}, Docker engine at {}",
          config.site(),
          config.hubs().stream().map(Object::toString).collect(Collectors.joining(", ")),
          engine.socket());
      stop.await();
      LOG.info("site agent of {} stopping; its Backends stay on the hub", config.site());
      agent.close();
      if (agent.fatal().isPresent()) {
        throw new IllegalStateException(agent.fatal().get());
      }
    }
    return Sbctl.OK;
  }
}
