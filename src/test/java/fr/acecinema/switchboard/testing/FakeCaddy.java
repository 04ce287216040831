package fr.acecinema.switchboard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.caddy.CaddyAdmin;
import fr.acecinema.switchboard.caddy.CaddyConfigBuilder;
import fr.acecinema.switchboard.caddy.CaddyException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caddy's admin API as the router sees it, in memory: it runs the last server written, writes only
 * when the desired server differs in shape (as the real client compares), and fails every call with
 * a given exception while a test says so (unreachable, rejected).
 */
public final class FakeCaddy implements CaddyAdmin {
  private final AtomicInteger calls = new AtomicInteger();
  private final List<JsonNode> writes = new CopyOnWriteArrayList<>();
  private volatile JsonNode running;
  private volatile CaddyException failure;

  @Override
  public boolean apply(String name, JsonNode desired) throws CaddyException {
    calls.incrementAndGet();
    CaddyException f = failure;
    if (f != null) {
      throw f;
    }
    JsonNode current = running;
    if (current != null
        && CaddyConfigBuilder.matches(
            CaddyConfigBuilder.shape(desired), CaddyConfigBuilder.shape(current))) {
      return false;
    }
    running = desired.deepCopy();
    writes.add(running);
    return true;
  }

  /** Every later call throws {@code e} until {@link #recover}. */
  public void failWith(CaddyException e) {
    failure = e;
  }

  public void recover() {
    failure = null;
  }

  /** Caddy restarted without our server (or someone reloaded another config): drift. */
  public void forget() {
    running = null;
  }

  /** Calls of {@link #apply}, writes or not. */
  public int calls() {
    return calls.get();
  }

  /** Writes (each a reload in a real Caddy). */
  public int writes() {
    return writes.size();
  }

  /** The server it runs, null before the first write. */
  public JsonNode running() {
    return running;
  }
}
