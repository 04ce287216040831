package fr.acecinema.switchboard.app;

import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.server.ApiServer;
import java.util.Optional;

/** A started process as {@link Switchboard#run} serves it: the root itself, or a fake in tests. */
public interface Running extends AutoCloseable {
  /** What {@code /readyz} reports. */
  Readiness readiness();

  /** The resource API, tokens and metrics to serve; empty serves health only. */
  default Optional<ApiServer.Api> api() {
    return Optional.empty();
  }
}
