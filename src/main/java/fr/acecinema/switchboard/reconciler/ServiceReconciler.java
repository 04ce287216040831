package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.BACKENDS_READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_READY_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceStatus;
import fr.acecinema.switchboard.api.v1alpha1.ServiceStatus.SiteEndpoints;
import fr.acecinema.switchboard.runtime.Controller;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reconciles a Service: counts its endpoints, ready and total, per site.
 *
 * <p>Owns: nothing outside its status (Caddy routes are the router's). Conditions: {@code Accepted}
 * (always True once it reaches here: schema errors never make it to the store), {@code Ready}
 * ({@code BackendsReady}, {@code NoReadyBackends}, {@code NoBackends}), and when routing is on
 * {@code Routed} copied from the router's {@link RoutingState} ({@code Pushed}, {@code InSync},
 * {@code NoReadyBackends}, {@code CaddyUnreachable}, {@code CaddyRejected}, {@code RoutingPending})
 * with {@code status.routedRevision}. Requeue: none; any change of one of its backends (spec or
 * status) enqueues it, a change of its routing state, and the runtime's resync.
 */
public final class ServiceReconciler implements Reconciler<Service> {
  private final Clock clock;
  private final RoutingState routing;

  /** Without routing: no {@code Routed} condition. */
  public ServiceReconciler(Clock clock) {
    this(clock, null);
  }

  /**
   * @param routing the router's results, read (never waited on) to set {@code Routed}; null when
   *     routing is off
   */
  public ServiceReconciler(Clock clock, RoutingState routing) {
    this.clock = clock;
    this.routing = routing;
  }

  /**
   * What it reads (JOSDK's {@code prepareEventSources}): its backends as secondaries; any change of
   * a backend (spec or status) enqueues its service. Routing results are enqueued by the {@link
   * RoutingState}'s listener.
   */
  public Controller<Service> controller() {
    return new Controller<>("Service", Service.class, this)
        .secondary(
            Backend.class,
            (svc, s) ->
                Indexes.backends(s, Indexes.BACKENDS_BY_SERVICE, svc.getMetadata().getName()))
        .watch(
            "Backend",
            (b, s) -> Set.of(new ResourceKey("Service", ((Backend) b).getSpec().service)));
  }

  @Override
  public UpdateControl<Service> reconcile(Service service, Context<Service> context) {
    Set<Backend> backends = context.getSecondaryResources(Backend.class);
    ServiceStatus status = service.getStatus() == null ? new ServiceStatus() : service.getStatus();
    service.setStatus(status);
    var now = clock.instant();

    Map<String, int[]> perSite = new TreeMap<>();
    for (Backend b : backends) {
      int[] counts = perSite.computeIfAbsent(b.getSpec().site, s -> new int[2]);
      counts[1]++;
      if (Conditions.isTrue(b.getStatus(), READY)) {
        counts[0]++;
      }
    }
    List<SiteEndpoints> endpoints =
        perSite.entrySet().stream()
            .map(e -> new SiteEndpoints(e.getKey(), e.getValue()[0], e.getValue()[1]))
            .toList();
    int ready = endpoints.stream().mapToInt(e -> e.ready).sum();
    int total = endpoints.stream().mapToInt(e -> e.total).sum();
    status.endpoints = new java.util.ArrayList<>(endpoints);
    status.readyEndpoints = ready;
    status.totalEndpoints = total;
    status.observedGeneration = Conditions.generation(service);

    var conditions = Conditions.on(status, service, now);
    conditions.accepted();
    String perSiteText =
        endpoints.stream()
            .map(e -> e.site + " " + e.ready + "/" + e.total)
            .collect(Collectors.joining(", "));
    if (total == 0) {
      conditions.set(
          READY,
          false,
          NO_BACKENDS,
          "no Backend declares spec.service: " + service.getMetadata().getName());
    } else if (ready == 0) {
      conditions.set(
          READY,
          false,
          NO_READY_BACKENDS,
          "none of " + total + " backends is ready (" + perSiteText + ")");
    } else {
      conditions.set(
          READY,
          true,
          BACKENDS_READY,
          ready + " of " + total + " backends ready (" + perSiteText + ")");
    }
    // Until the router's first pass (it waits for the initial scans), a Routed condition written
    // before a restart stands: Caddy still runs those routes, and a restart is not a transition.
    boolean adopt =
        routing != null && routing.current() == null && status.condition("Routed").isPresent();
    if (routing != null && !adopt) {
      RoutingState.Routed routed = routing.routed(service.getMetadata().getName());
      conditions.set(routed.condition());
      if (routed.revision() != null) {
        status.routedRevision = routed.revision();
      }
    }
    return UpdateControl.patchStatus(service);
  }
}
