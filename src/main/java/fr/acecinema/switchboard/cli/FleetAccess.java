package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;

/**
 * How sbctl's commands reach the fleet: {@link LocalFleetAccess} in the jar (the manifests and the
 * resources table, or a running Switchboard's API); an in-memory fake in the CLI's unit tests. The
 * process itself is built by {@code app.Switchboard}, which {@code sbctl run} calls directly.
 */
public interface FleetAccess {
  /** Reads the fleet of {@code config}. */
  FleetView view(SwitchboardConfig config);

  /** Changes the fleet of {@code config}. */
  FleetWriter writer(SwitchboardConfig config);

  /** The demo. */
  Demo demo();
}
