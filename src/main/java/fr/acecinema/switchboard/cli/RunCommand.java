package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.Listen;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.server.ApiServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl run}: starts the control plane and the health endpoints, then blocks until SIGTERM
 * or SIGINT, on which in-flight writes finish and the process exits 0.
 */
@Command(
    name = "run",
    description =
        "Run the control plane: watch the manifests, probe, route, record; serve /healthz and"
            + " /readyz, /metrics and the API. Stops cleanly on SIGTERM.")
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SwitchboardConfig config = root.config();
    List<String> problems = config.problems();
    if (!problems.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), String.join("\n       ", problems));
    }
    root.setUpLogging(true);
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch hurry = new CountDownLatch(1);
    // The first signal starts the stop; a second one (Ctrl-C twice) cuts the grace period short.
    Signals.onTermination(
        () -> {
          if (stop.getCount() == 0) {
            hurry.countDown();
          }
          stop.countDown();
        });
    return run(config, root.wiring("run the control plane").launcher(), stop, hurry);
  }

  /** {@link #run(SwitchboardConfig, OperatorLauncher, CountDownLatch, CountDownLatch)}. */
  static int run(SwitchboardConfig config, OperatorLauncher launcher, CountDownLatch stop)
      throws InterruptedException {
    return run(config, launcher, stop, new CountDownLatch(1));
  }

  /**
   * Starts {@code launcher} and the health server, waits for {@code stop}, keeps serving with
   * {@code /readyz} at 503 for {@link SwitchboardConfig#shutdownGrace()} (or until {@code hurry}),
   * then closes the listener and shuts the operator down.
   *
   * @return 0 after a clean stop, 1 when starting or stopping failed
   */
  static int run(
      SwitchboardConfig config,
      OperatorLauncher launcher,
      CountDownLatch stop,
      CountDownLatch hurry)
      throws InterruptedException {
    LOG.atInfo()
        .addKeyValue("manifests", config.manifests())
        .addKeyValue("listen", Listen.format(config.listen()))
        .addKeyValue("caddyAdmin", config.caddyAdmin())
        .addKeyValue("workers", config.workers())
        .log("starting switchboard");
    OperatorLauncher.Running running;
    try {
      running = launcher.start(config);
    } catch (Exception e) {
      LOG.error("could not start: {}", e.getMessage(), e);
      return Sbctl.FAILURE;
    }
    AtomicBoolean stopping = new AtomicBoolean(false);
    int code = Sbctl.OK;
    try (ApiServer api =
        ApiServer.start(
            apiSettings(config),
            () -> stopping.get() ? running.readiness().stopping() : running.readiness(),
            running.api())) {
      stop.await();
      // Not ready from here on, so a load balancer stops sending before the routes go away; the
      // listener stays open for the grace period so that pollers of /readyz see it.
      stopping.set(true);
      Duration grace = config.shutdownGrace();
      LOG.atInfo()
          .addKeyValue("grace", grace)
          .log("stop requested; /readyz answers 503 until the grace period ends");
      if (grace.isPositive() && hurry.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.info("second stop signal; grace period cut short");
      }
      LOG.info("closing the listener; finishing in-flight work");
    } catch (java.io.IOException e) {
      LOG.error("{}", e.getMessage());
      code = Sbctl.FAILURE;
    } finally {
      try {
        running.close();
      } catch (Exception e) {
        LOG.error("stopping failed: {}", e.getMessage(), e);
        code = Sbctl.FAILURE;
      }
    }
    LOG.info("stopped");
    return code;
  }

  /** The API endpoint's settings from the configuration. */
  static ApiServer.Settings apiSettings(SwitchboardConfig config) {
    ApiServer.Settings s =
        ApiServer.Settings.of(config.listen()).withInsecureListen(config.insecureListen());
    if (config.tlsCert().isPresent() && config.tlsKey().isPresent()) {
      s = s.withTls(config.tlsCert().get(), config.tlsKey().get());
    }
    return s;
  }
}
