package fr.acecinema.switchboard.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to its end within a time limit. The output goes to a temporary file rather than a
 * pipe, so a command that hangs (or leaves a child holding the pipe, as {@code docker run -d} may)
 * cannot block the caller past the limit.
 */
public final class BoundedCommand {
  /** A finished command: its exit code and its stdout and stderr interleaved. */
  public record Result(int exitCode, String output) {}

  private BoundedCommand() {}

  /** Runs {@code cmd}, killing it after {@code limit}; never throws on a non-zero exit. */
  public static Result run(List<String> cmd, Duration limit) {
    Path out = null;
    try {
      out = Files.createTempFile("sbdk-cmd-", ".out");
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException(
            String.join(" ", cmd) + " did not finish within " + limit.toSeconds() + " s");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a leftover output file in the temp directory is harmless
        }
      }
    }
  }

  /** Runs {@code cmd} and returns its output; fails on a non-zero exit, with the output. */
  public static String check(List<String> cmd, Duration limit) {
    Result r = run(cmd, limit);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", cmd) + " failed (" + r.exitCode() + "):\n" + r.output());
    }
    return r.output();
  }
}
