package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.runtime.ResourceStore;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The store indexes the reconcilers read through: a Service's and a Site's backends are looked up,
 * not scanned, on every reconcile and every change mapping.
 */
public final class Indexes {
  /** Backends by {@code spec.service}. */
  public static final String BACKENDS_BY_SERVICE = "backendsByService";

  /** Backends by {@code spec.site}. */
  public static final String BACKENDS_BY_SITE = "backendsBySite";

  /** Deployments by {@code spec.service}. */
  public static final String DEPLOYMENTS_BY_SERVICE = "deploymentsByService";

  private Indexes() {}

  /** Adds the indexes to {@code store}; once, before the first resource is put. */
  public static void register(ResourceStore store) {
    store.addIndex(BACKENDS_BY_SERVICE, "Backend", r -> List.of(((Backend) r).getSpec().service));
    store.addIndex(BACKENDS_BY_SITE, "Backend", r -> List.of(((Backend) r).getSpec().site));
    store.addIndex(
        DEPLOYMENTS_BY_SERVICE,
        "Deployment",
        r -> List.of(((fr.acecinema.switchboard.api.v1alpha1.Deployment) r).getSpec().service));
  }

  /** The backends {@code index} files under {@code value}. */
  static Set<Backend> backends(ResourceStore store, String index, String value) {
    return Set.copyOf(store.byIndex(Backend.class, index, value));
  }

  /** Their keys. */
  static Set<ResourceKey> backendKeys(ResourceStore store, String index, String value) {
    return store.byIndex(Backend.class, index, value).stream()
        .map(ResourceKey::of)
        .collect(Collectors.toUnmodifiableSet());
  }
}
