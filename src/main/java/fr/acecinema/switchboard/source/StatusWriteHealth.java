package fr.acecinema.switchboard.source;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether status write-back works, for {@code /readyz}: a location (a file) whose every write has
 * failed for a while ({@code --status-write-failing-after}, 30 s by default) turns the process
 * condition {@code StatusWritten} False. One failed write is not news (a file being replaced, a
 * full disk for a moment); a minute of them is a hub that will never show a status, which the
 * documented readiness check must not call healthy (found following the container install: a
 * root-owned manifests directory, every write denied, and {@code /readyz} all True).
 */
public final class StatusWriteHealth {
  /** The process condition's type. */
  public static final String TYPE = "StatusWritten";

  /** False: some file's status writes have all failed for a while. */
  public static final String FAILING = "StatusWriteFailing";

  /** True: no file's writes have been failing for long. */
  public static final String WRITING = "StatusWritesSucceed";

  private record Failing(Instant since, String error) {}

  private final Clock clock;
  private final Duration persistent;
  private final Map<String, Failing> failing = new TreeMap<>();

  /**
   * @param persistent how long every write of a file must fail before the condition turns False
   */
  public StatusWriteHealth(Clock clock, Duration persistent) {
    this.clock = clock;
    this.persistent = persistent;
  }

  synchronized void succeeded(String location) {
    failing.remove(location);
  }

  synchronized void failed(String location, Exception cause) {
    Instant since = failing.containsKey(location) ? failing.get(location).since() : clock.instant();
    failing.put(location, new Failing(since, cause.toString()));
  }

  /** {@code StatusWritten} now. */
  public synchronized Condition condition() {
    Instant now = clock.instant();
    var stuck =
        failing.entrySet().stream()
            .filter(e -> !e.getValue().since().plus(persistent).isAfter(now))
            .toList();
    if (stuck.isEmpty()) {
      return new Condition(TYPE, Condition.TRUE, WRITING, "status write-back works");
    }
    var first = stuck.getFirst();
    return new Condition(
        TYPE,
        Condition.FALSE,
        FAILING,
        "every status write into "
            + stuck.size()
            + " file(s) has failed for "
            + Duration.between(first.getValue().since(), now).toSeconds()
            + " s or more, e.g. "
            + first.getKey()
            + ": "
            + first.getValue().error()
            + "; the files and their directory must be writable by the user Switchboard runs as"
            + " (uid "
            + uid()
            + ")");
  }

  private static String uid() {
    try {
      return String.valueOf(
          java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid"));
    } catch (Exception e) {
      return System.getProperty("user.name");
    }
  }
}
