package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ACCEPTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.BACKENDS_READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HEALTHY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_HEALTHY_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SITE_MAINTENANCE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.VALID;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.Set;

/**
 * Reconciles a Site: counts its healthy backends and judges whether the site can serve.
 *
 * <p>Owns: nothing outside its status. Conditions: {@code Accepted}; {@code Ready} — True when at
 * least one backend is healthy ({@code BackendsReady}), else {@code NoHealthyBackends}, {@code
 * NoBackends} when none is declared, {@code SiteMaintenance} while in maintenance. Requeue: none;
 * backend changes (spec or status) enqueue it, and the runtime's resync.
 */
public final class SiteReconciler implements Reconciler<Site> {
  private final Clock clock;

  public SiteReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<Site> reconcile(Site site, Context<Site> context) {
    Set<Backend> backends = context.getSecondaryResources(Backend.class);
    SiteStatus status = site.getStatus() == null ? new SiteStatus() : site.getStatus();
    site.setStatus(status);
    var now = clock.instant();
    int healthy =
        (int) backends.stream().filter(b -> Conditions.isTrue(b.getStatus(), HEALTHY)).count();
    int total = backends.size();
    status.backends = new SiteStatus.BackendCount(healthy, total);
    status.observedGeneration = Conditions.generation(site);

    Conditions.set(status, site, now, ACCEPTED, true, VALID, "spec is valid");
    if (site.getSpec().inMaintenance()) {
      Conditions.set(
          status,
          site,
          now,
          READY,
          false,
          SITE_MAINTENANCE,
          "spec.maintenance is true: backends are probed but take no traffic ("
              + healthy
              + "/"
              + total
              + " healthy)");
    } else if (total == 0) {
      Conditions.set(
          status,
          site,
          now,
          READY,
          false,
          NO_BACKENDS,
          "no Backend declares spec.site: " + site.getMetadata().getName());
    } else if (healthy == 0) {
      Conditions.set(
          status,
          site,
          now,
          READY,
          false,
          NO_HEALTHY_BACKENDS,
          "none of " + total + " backends is healthy");
    } else {
      Conditions.set(
          status,
          site,
          now,
          READY,
          true,
          BACKENDS_READY,
          healthy + " of " + total + " backends healthy");
    }
    return UpdateControl.patchStatus(site);
  }
}
