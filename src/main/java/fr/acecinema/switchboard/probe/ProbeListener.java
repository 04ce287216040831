package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.ResourceKey;

/**
 * Told about every probe. Called on the backend's probe thread, so it must be quick (enqueue a
 * reconcile, update a map); the next probe of that backend waits for it, other backends do not.
 */
@FunctionalInterface
public interface ProbeListener {
  /**
   * @param key the backend
   * @param snapshot its health after this probe
   * @param stateChanged whether this probe changed {@link HealthSnapshot#state()}
   */
  void onProbe(ResourceKey key, HealthSnapshot snapshot, boolean stateChanged);
}
