package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.v1alpha1.Backend;

/**
 * The router's view of backend health, in memory and current to the probe: what decides the
 * resolver's answers.
 */
public interface HealthView {
  /** Healthy by its probe, and its host not judged dead by the heartbeat. */
  boolean live(Backend backend);

  /** This process has a verdict of its own for the backend (its first probe answered). */
  boolean known(Backend backend);

  /** Health as the backends' last written status says (sbctl, tests of the core). */
  static HealthView fromStatus() {
    return new HealthView() {
      @Override
      public boolean live(Backend backend) {
        return RoutePlanner.healthy(backend);
      }

      @Override
      public boolean known(Backend backend) {
        return true;
      }
    };
  }
}
