package fr.acecinema.switchboard.wireguard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code <command> show IF dump} with a timeout. The command is configurable: {@code wg} on a
 * hub, {@code ip netns exec sbhub wg} on the testbed.
 */
public final class WireGuardReader implements DumpSource {
  private static final int MAX_OUTPUT = 1 << 20;
  private final List<String> command;
  private final Duration timeout;

  /**
   * @param command the wg command and its prefix, e.g. {@code [wg]}
   * @param timeout how long one {@code wg show} may take before it is killed
   */
  public WireGuardReader(List<String> command, Duration timeout) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("the wg command is empty");
    }
    this.command = List.copyOf(command);
    this.timeout = timeout;
  }

  /** {@code wg} from the PATH, 2 s timeout. */
  public static WireGuardReader wg() {
    return new WireGuardReader(List.of("wg"), Duration.ofSeconds(2));
  }

  /** Reads and parses one interface's dump. */
  @Override
  public WgDump dump(String iface) throws WireGuardException {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(List.of("show", iface, "dump"));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new WireGuardException(
          "cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    }
    // Read on another thread so a wg that hangs without closing its output still times out.
    // Own virtual thread, not the common pool: a reader stuck on a hung wg must not block others.
    CompletableFuture<String> out = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("wg-output")
        .start(
            () -> {
              try {
                byte[] bytes = p.getInputStream().readNBytes(MAX_OUTPUT);
                out.complete(new String(bytes, StandardCharsets.UTF_8));
              } catch (IOException e) {
                out.complete("");
              }
            });
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        throw new WireGuardException(
            String.join(" ", cmd) + " did not finish within " + timeout.toMillis() + " ms");
      }
      String text = out.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (p.exitValue() != 0) {
        throw new WireGuardException(
            String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + text.strip());
      }
      return WgDump.parse(text);
    } catch (IllegalArgumentException e) {
      throw new WireGuardException(e.getMessage(), e);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new WireGuardException("interrupted while running wg", e);
    } catch (ExecutionException | TimeoutException e) {
      kill(p);
      throw new WireGuardException("cannot read the output of " + String.join(" ", cmd), e);
    }
  }

  /** Kills wg and anything it started (a wrapper's child would otherwise hold the pipe open). */
  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.getInputStream().close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
