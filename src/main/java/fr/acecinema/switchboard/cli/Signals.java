package fr.acecinema.switchboard.cli;

import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a callback instead of the JVM's default exit with status 143/130,
 * so {@code sbctl run} can finish in-flight writes and exit 0 as supervisors expect.
 */
final class Signals {
  private Signals() {}

  @SuppressWarnings("restriction")
  static void onTermination(Runnable action) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
      } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
        // Not available (e.g. a platform without the signal): a shutdown hook still stops cleanly,
        // only the exit status is the JVM's.
        LoggerFactory.getLogger(Signals.class)
            .warn("cannot handle SIG{}: {}", name, e.getMessage());
        Runtime.getRuntime().addShutdownHook(new Thread(action, "shutdown-" + name));
      }
    }
  }
}
