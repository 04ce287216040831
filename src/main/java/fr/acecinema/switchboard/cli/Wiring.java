package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Connects sbctl to the layers below it. The operator module provides one implementation, listed in
 * {@code META-INF/services/fr.acecinema.switchboard.cli.Wiring}; tests pass fakes to {@link Sbctl}
 * directly. Keeping this an interface lets the CLI be built and tested before and independently of
 * the parser, reconcilers and adapters.
 */
public interface Wiring {
  /** Reads the manifests under {@code config.manifests()}. */
  FleetView view(SwitchboardConfig config);

  /** Changes the manifests under {@code config.manifests()}. */
  FleetWriter writer(SwitchboardConfig config);

  /** Starts the control plane. */
  OperatorLauncher launcher();

  /** The demo. */
  Demo demo();

  /** The implementation on the class path, if any. */
  static Optional<Wiring> load() {
    return ServiceLoader.load(Wiring.class).findFirst();
  }
}
