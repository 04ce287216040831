package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import java.io.PrintWriter;

/** {@code sbctl demo}: a self-contained tour on 127.0.0.x. */
public interface Demo {
  /**
   * Runs the demo, narrating on {@code out}; cleans up everything it started, also on failure.
   *
   * @return the process exit code, 0 when every step behaved as announced
   */
  int run(SwitchboardConfig config, PrintWriter out, PrintWriter err) throws Exception;

  /**
   * {@link #run(SwitchboardConfig, PrintWriter, PrintWriter)}, then, with {@code keepRunning},
   * keeps the fleet and its dashboard up until a line (Enter) or the end of standard input.
   */
  default int run(SwitchboardConfig config, PrintWriter out, PrintWriter err, boolean keepRunning)
      throws Exception {
    return run(config, out, err);
  }
}
