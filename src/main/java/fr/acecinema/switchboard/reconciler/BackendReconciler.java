package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ACCEPTED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.ADDRESS_OUTSIDE_SUBNET;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.DRAINING;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HEALTHY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HOST_UNREACHABLE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.INVALID_SPEC;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PORT_CLOSED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PROBE_FAILED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PROBE_PENDING;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PROBE_SUCCEEDED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SERVICE_NOT_FOUND;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SERVING;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SITE_MAINTENANCE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SITE_NOT_FOUND;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus.Health.State;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.probe.HealthSnapshot;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.ProbeTarget;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.validation.Subnets;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Reconciles a Backend: keeps its probe loop in line with its spec, and reports its health.
 *
 * <p>Owns: the backend's probe loop in the {@link ProbeScheduler} (started, retargeted, and stopped
 * on deletion by {@link #cleanup}). Conditions: {@code Accepted} ({@code Valid}, {@code
 * SiteNotFound}, {@code ServiceNotFound}, {@code AddressOutsideSubnet}, {@code InvalidSpec});
 * {@code Healthy} ({@code ProbeSucceeded}, {@code ProbeFailed}, {@code ProbePending}); {@code
 * Ready}: healthy and taking traffic ({@code Serving}), or why not ({@code Draining}, {@code
 * SiteMaintenance}, the health reason). A backend that is not accepted is never probed: the subnet
 * check is what keeps the hub from probing arbitrary hosts. With hubs sharing the fleet, {@code
 * status.hubs} holds every hub's {@code Ready} ({@link HubViewSource}). Requeue: none of its own;
 * health transitions, Site and Service spec changes, a change of another hub's view and the
 * runtime's resync enqueue it. The probe time and latency, which change every probe, are refreshed
 * in the status only on a transition or once {@code probeTimeRefresh} has passed, so files are not
 * rewritten every probe.
 */
public final class BackendReconciler implements Reconciler<Backend>, Cleaner<Backend> {
  private final ProbeScheduler probes;
  private HubViewSource hubViews = HubViewSource.NONE;
  private final HostHeartbeat heartbeat;
  private final Clock clock;
  private final Duration probeTimeRefresh;

  public BackendReconciler(
      ProbeScheduler probes, HostHeartbeat heartbeat, Clock clock, Duration probeTimeRefresh) {
    this.probes = probes;
    this.heartbeat = heartbeat;
    this.clock = clock;
    this.probeTimeRefresh = probeTimeRefresh;
  }

  /**
   * What it reads (JOSDK's {@code prepareEventSources}): its Site and Service as secondaries; a
   * spec change of either enqueues every backend of it (a status change of a Site or Service says
   * nothing a backend's conditions depend on). Its own probe transitions are enqueued by the probe
   * scheduler's listener, host verdicts by the heartbeat's.
   */
  public Controller<Backend> controller() {
    return new Controller<>("Backend", Backend.class, this)
        .secondary(Site.class, (b, s) -> one(s.get(Site.class, "Site", b.getSpec().site)))
        .secondary(
            Service.class, (b, s) -> one(s.get(Service.class, "Service", b.getSpec().service)))
        .watchSpec(
            "Site",
            (site, store) ->
                Indexes.backendKeys(store, Indexes.BACKENDS_BY_SITE, site.getMetadata().getName()))
        .watchSpec(
            "Service",
            (svc, store) ->
                Indexes.backendKeys(
                    store, Indexes.BACKENDS_BY_SERVICE, svc.getMetadata().getName()));
  }

  private static <T> Set<T> one(Optional<T> value) {
    return value.map(Set::of).orElse(Set.of());
  }

  @Override
  public UpdateControl<Backend> reconcile(Backend backend, Context<Backend> context) {
    ResourceKey key = ResourceKey.of(backend);
    Optional<Site> site = context.getSecondaryResource(Site.class);
    Optional<Service> service = context.getSecondaryResource(Service.class);
    BackendStatus status = backend.getStatus() == null ? new BackendStatus() : backend.getStatus();
    backend.setStatus(status);
    // A status written for this very spec (by this process or the one before a restart) may be
    // adopted until this process's first probe answers.
    boolean sameSpec =
        status.observedGeneration != null
            && status.observedGeneration == Conditions.generation(backend);
    status.observedGeneration = Conditions.generation(backend);
    Instant now = clock.instant();
    var conditions = Conditions.on(status, backend, now);

    Rejection rejection = reject(backend, site, service);
    ResolvedHealthCheck check = null;
    if (rejection == null) {
      try {
        check =
            ResolvedHealthCheck.resolve(
                service.get().getSpec().healthCheck, backend.getSpec().healthCheck);
      } catch (IllegalArgumentException e) {
        rejection = new Rejection(INVALID_SPEC, "health check: " + e.getMessage());
      }
    }
    if (rejection != null) {
      probes.remove(key);
      heartbeat.untrack(key.toString());
      status.health = null;
      conditions.set(ACCEPTED, false, rejection.reason, rejection.message);
      conditions.unknown(HEALTHY, rejection.reason, "not probed: " + rejection.message);
      conditions.set(READY, false, rejection.reason, rejection.message);
      status.hubs = hubViews.views("Backend", key.name(), status.condition(READY).orElse(null));
      return UpdateControl.patchStatus(backend);
    }

    probes.ensure(key, new ProbeTarget(backend.getSpec().address, backend.getSpec().port, check));
    heartbeat.track(key.toString(), backend.getSpec().address, backend.getSpec().port);
    HealthSnapshot snapshot = probes.snapshot(key).orElse(HealthSnapshot.unknown());
    boolean adopt =
        snapshot.state() == State.Unknown
            && sameSpec
            && status.health != null
            && status.health.state != null
            && status.health.state != State.Unknown;
    if (!adopt) {
      status.health = health(status.health, snapshot.toHealth(), now);
    }

    conditions.accepted();
    String target = backend.getSpec().address + ":" + backend.getSpec().port;
    State state = adopt ? status.health.state : snapshot.state();
    switch (adopt ? State.Unknown : snapshot.state()) {
      case Unknown -> {
        if (!adopt) {
          conditions.unknown(HEALTHY, PROBE_PENDING, describe(check, target) + " not probed yet");
        }
        // Adopted: the Healthy condition written before a restart stands, with its times, until
        // this process's first probe: a restart is not a health transition.
      }
      case Healthy ->
          conditions.set(HEALTHY, true, PROBE_SUCCEEDED, describe(check, target) + " passes");
      case Unhealthy ->
          conditions.set(
              HEALTHY,
              false,
              PROBE_FAILED,
              describe(check, target) + " fails: " + snapshot.lastError());
    }
    boolean healthy = state == State.Healthy;
    String host = backend.getSpec().address;
    if (backend.getSpec().draining()) {
      conditions.set(READY, false, DRAINING, "spec.drain is true: takes no new requests");
    } else if (site.get().getSpec().inMaintenance()) {
      conditions.set(
          READY,
          false,
          SITE_MAINTENANCE,
          "site " + site.get().getMetadata().getName() + " is in maintenance");
    } else if (heartbeat.verdict(host) == HostHeartbeat.Verdict.DEAD) {
      conditions.set(
          READY,
          false,
          HOST_UNREACHABLE,
          "host " + host + " stopped answering the heartbeat: out of rotation until it answers");
    } else if (heartbeat.refused(host, backend.getSpec().port)) {
      conditions.set(
          READY,
          false,
          PORT_CLOSED,
          target + " refuses connections (heartbeat): out of rotation until it accepts them");
    } else if (healthy) {
      conditions.set(READY, true, SERVING, "healthy and taking traffic");
    } else {
      var h = status.condition(HEALTHY).orElseThrow();
      conditions.set(READY, false, h.reason, h.message);
    }
    status.hubs = hubViews.views("Backend", key.name(), status.condition(READY).orElse(null));
    return UpdateControl.patchStatus(backend);
  }

  /**
   * Puts what every hub sees into {@code status.hubs} (hubs sharing a fleet); a change of another
   * hub's view enqueues the backend.
   */
  public BackendReconciler withHubViews(HubViewSource views) {
    this.hubViews = views;
    return this;
  }

  @Override
  public DeleteControl cleanup(Backend backend, Context<Backend> context) {
    probes.remove(ResourceKey.of(backend));
    heartbeat.untrack(ResourceKey.of(backend).toString());
    return DeleteControl.defaultDelete();
  }

  private record Rejection(String reason, String message) {}

  /** Checks that need other resources; null when the backend can be probed. */
  static Rejection reject(Backend backend, Optional<Site> site, Optional<Service> service) {
    var spec = backend.getSpec();
    if (site.isEmpty()) {
      return new Rejection(
          SITE_NOT_FOUND,
          "spec.site: no Site named '" + spec.site + "'; declare it or fix the name");
    }
    if (service.isEmpty()) {
      return new Rejection(
          SERVICE_NOT_FOUND,
          "spec.service: no Service named '" + spec.service + "'; declare it or fix the name");
    }
    String subnet = site.get().getSpec().subnet;
    if (!Subnets.contains(subnet, spec.address)) {
      return new Rejection(
          ADDRESS_OUTSIDE_SUBNET,
          "spec.address: "
              + spec.address
              + " is outside site "
              + spec.site
              + "'s subnet "
              + subnet
              + "; use an address of that subnet or the right site");
    }
    return null;
  }

  /**
   * The health to write: the probe's view, except that probe time and latency keep their previous
   * values until something else changes or they are older than the refresh period.
   */
  Health health(Health previous, Health current, Instant now) {
    if (previous == null || current.lastProbeTime == null || previous.lastProbeTime == null) {
      return current;
    }
    boolean sameFacts =
        previous.state == current.state
            && Objects.equals(previous.lastTransitionTime, current.lastTransitionTime)
            && Objects.equals(previous.consecutiveFailures, current.consecutiveFailures)
            && Objects.equals(previous.lastError, current.lastError);
    boolean fresh =
        Duration.between(Instant.parse(previous.lastProbeTime), now).compareTo(probeTimeRefresh)
            < 0;
    if (sameFacts && fresh) {
      current.lastProbeTime = previous.lastProbeTime;
      current.latencyMillis = previous.latencyMillis;
    }
    return current;
  }

  private static String describe(ResolvedHealthCheck check, String target) {
    return check.type() == fr.acecinema.switchboard.api.v1alpha1.HealthCheck.Type.TCP
        ? "TCP connect to " + target
        : "GET http://" + target + check.path();
  }
}
