package fr.acecinema.switchboard.agent;

import java.time.Duration;

/** A wait that doubles at each failure, from a first to a maximum, until {@link #reset()}. */
final class Backoff {
  private final Duration first;
  private final Duration max;
  private Duration next;

  Backoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /** The wait before the next attempt; the one after it is twice as long, up to the maximum. */
  Duration next() {
    Duration d = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return d;
  }

  /** After a success: the next failure waits the first wait again. */
  void reset() {
    next = first;
  }
}
