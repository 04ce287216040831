package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.config.DurationConverter;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.util.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl rollout status|history|undo deployment/NAME}: a Deployment's rollouts, as kubectl's.
 */
@Command(
    name = "rollout",
    description = "Follow a Deployment's rollout, list its revisions, roll it back.",
    subcommands = {
      RolloutCommand.Status.class,
      RolloutHistoryCommand.class,
      RolloutUndoCommand.class
    })
final class RolloutCommand implements Runnable {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name a subcommand: sbctl rollout status|history|undo deployment/NAME");
  }

  /** The Deployment {@code words} name; a usage error naming {@code command} for another kind. */
  static ResourceKey deployment(CommandSpec spec, List<String> words, String command) {
    ResourceKey key = ResourceRef.parse(spec, words);
    if (!"Deployment".equals(key.kind())) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), command + " is for Deployments; write deployment/NAME");
    }
    return key;
  }

  /** What one read of the Deployment says. */
  record Reading(Verdict verdict, String line) {}

  /** Where a rollout stands. */
  enum Verdict {
    /** Still rolling out (or its status is not for the current spec yet). */
    PROGRESSING,
    /** The newest revision runs everywhere it should. */
    COMPLETE,
    /** It went back to the previous revision, or a first rollout overran its deadline. */
    FAILED
  }

  /** Judges one read of the Deployment (pure). */
  static Reading judge(Optional<ResourceRow> found, ResourceKey key) {
    String name = "deployment \"" + key.name() + "\"";
    if (found.isEmpty()) {
      return new Reading(Verdict.FAILED, name + " is not declared");
    }
    ResourceRow r = found.get();
    if (r.rejected()) {
      return new Reading(
          Verdict.FAILED, name + " is rejected (" + r.errorReason() + "): " + r.error());
    }
    JsonNode accepted = r.condition("Accepted");
    if (r.observed(accepted) && "False".equals(accepted.path("status").asText())) {
      return new Reading(
          Verdict.FAILED,
          name
              + " is not accepted ("
              + accepted.path("reason").asText()
              + "): "
              + accepted.path("message").asText());
    }
    JsonNode rolledBack = r.condition("RolledBack");
    if (r.observed(rolledBack) && "True".equals(rolledBack.path("status").asText())) {
      return new Reading(
          Verdict.FAILED, name + " rolled back: " + rolledBack.path("message").asText());
    }
    JsonNode progressing = r.condition("Progressing");
    if (progressing.isMissingNode() || !r.observed(progressing)) {
      return new Reading(
          Verdict.PROGRESSING, "Waiting for " + name + ": the hub has not planned this spec yet");
    }
    String reason = progressing.path("reason").asText();
    String message = progressing.path("message").asText();
    if ("False".equals(progressing.path("status").asText())) {
      return "RolloutComplete".equals(reason)
          ? new Reading(Verdict.COMPLETE, name + " successfully rolled out: " + message)
          : new Reading(Verdict.FAILED, name + " failed (" + reason + "): " + message);
    }
    return new Reading(Verdict.PROGRESSING, "Waiting for " + name + " rollout: " + message);
  }

  /**
   * Reads until the rollout completes or fails, printing each new progress line.
   *
   * @return 0 when complete, 1 when failed or timed out
   */
  static int follow(
      ResourceKey key,
      Supplier<Optional<ResourceRow>> current,
      Duration timeout,
      Duration interval,
      Waiter.Ticker ticker,
      PrintWriter out,
      PrintWriter err) {
    long deadline = ticker.nanoTime() + timeout.toNanos();
    String last = null;
    while (true) {
      Reading reading;
      try {
        reading = judge(current.get(), key);
      } catch (RuntimeException e) {
        // A file being replaced, the API restarting: read again on the next round.
        reading = new Reading(Verdict.PROGRESSING, "could not read the fleet: " + e.getMessage());
      }
      switch (reading.verdict()) {
        case COMPLETE -> {
          out.println(reading.line());
          return Sbctl.OK;
        }
        case FAILED -> {
          err.println("error: " + reading.line());
          return Sbctl.FAILURE;
        }
        case PROGRESSING -> {
          if (!reading.line().equals(last)) {
            out.println(reading.line());
            out.flush();
            last = reading.line();
          }
        }
      }
      long left = deadline - ticker.nanoTime();
      if (left <= 0) {
        err.println("error: timed out after " + Durations.format(timeout) + "; last seen: " + last);
        return Sbctl.FAILURE;
      }
      try {
        ticker.sleep(Duration.ofNanos(Math.min(left, interval.toNanos())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Sbctl.FAILURE;
      }
    }
  }

  /** {@code sbctl rollout status deployment/NAME [--timeout 10m]}. */
  @Command(
      name = "status",
      description =
          "Wait until a Deployment's rollout completes (exit 0) or fails: rolled back, deadline"
              + " exceeded (exit 1). Prints each change of progress.")
  static final class Status implements Callable<Integer> {
    @ParentCommand RolloutCommand parent;
    @Spec CommandSpec spec;

    @Parameters(arity = "1..2", paramLabel = "deployment/NAME", description = "e.g. deploy/api.")
    List<String> resource;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "10m",
        converter = DurationConverter.class,
        description = "Give up after this long, e.g. 5m.")
    Duration timeout;

    Waiter.Ticker ticker = Waiter.Ticker.SYSTEM;

    @Override
    public Integer call() {
      ResourceKey key = deployment(spec, resource, "rollout status");
      Sbctl root = parent.root;
      root.setUpLogging(false);
      FleetView view = root.fleets().view(root.config());
      return follow(
          key,
          DescribeCommand.finder(view, key),
          timeout,
          WaitCommand.INTERVAL,
          ticker,
          spec.commandLine().getOut(),
          spec.commandLine().getErr());
    }
  }
}
