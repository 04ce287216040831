package fr.acecinema.switchboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What benchmarks print about the machine they ran on. */
public final class Machine {
  private Machine() {}

  /**
   * The 1, 5 and 15 minute load averages, e.g. {@code "2.66 4.70 4.46"}; {@code "?"} if unknown.
   */
  public static String loadavg() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }
}
