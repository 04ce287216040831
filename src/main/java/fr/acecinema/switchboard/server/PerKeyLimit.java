package fr.acecinema.switchboard.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@link #max()} things at once per key (a client address, a token name): connections,
 * request bodies being received, watch streams. One client then holds a bounded share of a shared
 * resource whatever it does, and the others keep the rest.
 */
final class PerKeyLimit<K> {
  private final int max;
  private final Map<K, Integer> held = new ConcurrentHashMap<>();

  PerKeyLimit(int max) {
    this.max = max;
  }

  int max() {
    return max;
  }

  /** Takes one for {@code key}; false (nothing taken) when the key already holds {@link #max}. */
  boolean tryAcquire(K key) {
    boolean[] taken = {false};
    held.compute(
        key,
        (k, n) -> {
          int now = n == null ? 0 : n;
          if (now >= max) {
            return n;
          }
          taken[0] = true;
          return now + 1;
        });
    return taken[0];
  }

  /** Gives back one taken by {@link #tryAcquire}. */
  void release(K key) {
    held.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** How many {@code key} holds now. */
  int held(K key) {
    return held.getOrDefault(key, 0);
  }
}
