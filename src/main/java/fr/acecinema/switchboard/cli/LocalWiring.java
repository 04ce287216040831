package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;

/** The wiring of a local sbctl: the manifests directory, the operator in this process. */
public final class LocalWiring implements Wiring {
  @Override
  public FleetView view(SwitchboardConfig config) {
    return new ManifestFleet(config.manifests());
  }

  @Override
  public FleetWriter writer(SwitchboardConfig config) {
    return new ManifestFleet(config.manifests());
  }

  @Override
  public OperatorLauncher launcher() {
    return new LocalLauncher();
  }

  @Override
  public Demo demo() {
    return new DemoRunner();
  }
}
