package fr.acecinema.switchboard.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line when a peer (the hub, the Docker engine) stops answering and one when it answers
 * again, whatever the number of attempts in between: an agent retrying every few seconds through a
 * night's outage would otherwise bury everything else in the log.
 */
final class Outage {
  private static final Logger LOG = LoggerFactory.getLogger(SiteAgent.class);

  private final String peer;
  private final Clock clock;
  private Instant since;

  Outage(String peer, Clock clock) {
    this.peer = peer;
    this.clock = clock;
  }

  /** A call failed; logged only when it is the first failure since the last success. */
  void failed(String message) {
    if (since == null) {
      since = clock.instant();
      LOG.warn(
          "{} is unavailable: {}; the agent keeps its containers' state and retries with backoff",
          peer,
          message);
    } else {
      LOG.debug("{} still unavailable: {}", peer, message);
    }
  }

  /** A call succeeded; logged only when it ends an outage. */
  void succeeded() {
    if (since != null) {
      LOG.info(
          "{} is available again after {} s",
          peer,
          Math.max(0, Duration.between(since, clock.instant()).toSeconds()));
      since = null;
    }
  }

  boolean down() {
    return since != null;
  }
}
