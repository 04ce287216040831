package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.operator.Readiness;

/** Starts the whole control plane for {@code sbctl run} (the lead wires it). */
public interface OperatorLauncher {
  /** A started control plane. */
  interface Running extends AutoCloseable {
    /** True once the first full scan of the manifests has been reconciled (drives /readyz). */
    boolean ready();

    /**
     * What /readyz reports: {@link #ready()} and the process conditions (RecordsSynced, Routed).
     */
    default Readiness readiness() {
      return Readiness.of(ready());
    }

    /**
     * Stops taking new work, lets in-flight reconciles finish their status writes, releases Caddy,
     * database and watcher resources. Called once, on SIGTERM/SIGINT.
     */
    @Override
    void close() throws Exception;

    /** The resource API, tokens and metrics to serve on --listen; empty serves health only. */
    default java.util.Optional<fr.acecinema.switchboard.server.ApiServer.Api> api() {
      return java.util.Optional.empty();
    }
  }

  /** Starts everything {@code config} describes and returns without waiting for readiness. */
  Running start(SwitchboardConfig config) throws Exception;
}
