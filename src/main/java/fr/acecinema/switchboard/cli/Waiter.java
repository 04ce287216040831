package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.util.Durations;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code sbctl wait}: polls the current state of one resource until a condition holds or a timeout
 * passes. A condition only counts when it was computed from the manifest's current generation, so
 * waiting right after {@code apply} never succeeds on the previous spec's status.
 */
public final class Waiter {
  /** What to wait for. */
  public sealed interface Target permits ConditionIs, Deleted {}

  /** {@code --for=condition=Ready} or {@code --for=condition=Ready=False}. */
  public record ConditionIs(String type, String status) implements Target {
    @Override
    public String toString() {
      return "condition " + type + "=" + status;
    }
  }

  /** {@code --for=delete}: the resource is no longer declared. */
  public record Deleted() implements Target {
    @Override
    public String toString() {
      return "deletion";
    }
  }

  /** Time source and sleep, so tests run on a fake clock. */
  public interface Ticker {
    long nanoTime();

    void sleep(Duration d) throws InterruptedException;

    /** The system clock. */
    Ticker SYSTEM =
        new Ticker() {
          @Override
          public long nanoTime() {
            return System.nanoTime();
          }

          @Override
          public void sleep(Duration d) throws InterruptedException {
            // sbctl wait polls a status another process writes (a file, or the API): there is no
            // event in this process to wait on. Tests drive Waiter with a fake Ticker instead.
            Thread.sleep(d);
          }
        };
  }

  /**
   * Outcome: exit code 0 when met, 1 on timeout (or interruption), with a line for the user.
   *
   * @param polls how many times the state was read
   */
  public record Result(int exitCode, String message, int polls) {}

  private Waiter() {}

  /**
   * Parses {@code --for}: {@code condition=TYPE}, {@code condition=TYPE=STATUS} or {@code delete}.
   *
   * @throws IllegalArgumentException with the accepted forms
   */
  public static Target parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    if (s.equals("delete")) {
      return new Deleted();
    }
    if (s.startsWith("condition=")) {
      String[] parts = s.substring("condition=".length()).split("=", -1);
      if (parts.length <= 2 && !parts[0].isEmpty()) {
        String status = parts.length == 2 ? parts[1] : Condition.TRUE;
        for (String known : new String[] {Condition.TRUE, Condition.FALSE, Condition.UNKNOWN}) {
          if (known.equalsIgnoreCase(status)) {
            return new ConditionIs(parts[0], known);
          }
        }
        throw new IllegalArgumentException(
            "--for=" + s + ": the status must be True, False or Unknown");
      }
    }
    throw new IllegalArgumentException(
        "--for="
            + s
            + " is not understood; write --for=condition=Ready, --for=condition=Ready=False"
            + " or --for=delete");
  }

  /**
   * Polls {@code current} every {@code interval} until {@code target} holds for {@code key}, at
   * most {@code timeout}. A supplier that throws counts as "not yet" (a file may be mid-edit).
   */
  public static Result await(
      ResourceKey key,
      Supplier<Optional<ResourceRow>> current,
      Target target,
      Duration timeout,
      Duration interval,
      Ticker ticker) {
    long deadline = ticker.nanoTime() + timeout.toNanos();
    String last = "not read yet";
    int polls = 0;
    while (true) {
      polls++;
      Optional<ResourceRow> row;
      try {
        row = current.get();
      } catch (RuntimeException e) {
        row = null;
        last = "could not read the fleet: " + e.getMessage();
      }
      if (row != null) {
        Check check = check(row, target);
        if (check.met()) {
          return new Result(0, met(key, target), polls);
        }
        last = check.observed();
      }
      long left = deadline - ticker.nanoTime();
      if (left <= 0) {
        return new Result(
            1,
            "timed out after "
                + Durations.format(timeout)
                + " waiting for "
                + target
                + " on "
                + ResourceRef.display(key)
                + "; last seen: "
                + last,
            polls);
      }
      try {
        ticker.sleep(Duration.ofNanos(Math.min(left, interval.toNanos())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Result(
            1,
            "interrupted while waiting for " + target + " on " + ResourceRef.display(key),
            polls);
      }
    }
  }

  private record Check(boolean met, String observed) {}

  private static Check check(Optional<ResourceRow> row, Target target) {
    if (target instanceof Deleted) {
      return row.isEmpty()
          ? new Check(true, "deleted")
          : new Check(false, "still declared in " + row.get().origin());
    }
    ConditionIs want = (ConditionIs) target;
    if (row.isEmpty()) {
      return new Check(false, "not declared (no manifest file or row of the resources table)");
    }
    ResourceRow r = row.get();
    if (r.rejected()) {
      return new Check(false, "rejected (" + r.errorReason() + "): " + r.error());
    }
    JsonNode c = r.condition(want.type());
    if (c.isMissingNode()) {
      return new Check(false, "no " + want.type() + " condition yet");
    }
    String status = c.path("status").asText(Condition.UNKNOWN);
    String seen =
        want.type()
            + "="
            + status
            + " ("
            + c.path("reason").asText("-")
            + ")"
            + (c.path("message").asText("").isEmpty() ? "" : ": " + c.path("message").asText());
    if (!r.observed(c)) {
      return new Check(
          false,
          seen
              + " computed for generation "
              + c.path("observedGeneration").asText("?")
              + ", the manifest is at generation "
              + r.generation());
    }
    return new Check(status.equals(want.status()), seen);
  }

  private static String met(ResourceKey key, Target target) {
    return target instanceof Deleted
        ? key.kind().toLowerCase(java.util.Locale.ROOT) + "/" + key.name() + " deleted"
        : key.kind().toLowerCase(java.util.Locale.ROOT) + "/" + key.name() + " condition met";
  }
}
