package fr.acecinema.switchboard.operator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.caddy.CaddyAdminClient;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.notify.Notifier;
import fr.acecinema.switchboard.notify.Transitions;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.Prober;
import fr.acecinema.switchboard.probe.SocketKiller;
import fr.acecinema.switchboard.reconciler.BackendReconciler;
import fr.acecinema.switchboard.reconciler.HealthView;
import fr.acecinema.switchboard.reconciler.Router;
import fr.acecinema.switchboard.reconciler.RouterReconciler;
import fr.acecinema.switchboard.reconciler.RoutingState;
import fr.acecinema.switchboard.reconciler.ServiceReconciler;
import fr.acecinema.switchboard.reconciler.SiteReconciler;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import fr.acecinema.switchboard.source.Declarations;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.file.ManifestDirectorySource;
import fr.acecinema.switchboard.source.file.ManifestFileWriter;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.WireGuardReader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring only: builds the store, the sources, the runtime, the reconcilers and the adapters, and
 * starts them in an order that makes cold start deterministic (runtime first so the initial scan's
 * store changes are enqueued; the directory source's initial scan before {@code /readyz} says ok).
 */
public final class SwitchboardOperator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SwitchboardOperator.class);
  public static final String BACKENDS_BY_SERVICE = "backendsByService";
  public static final String BACKENDS_BY_SITE = "backendsBySite";

  private final ResourceStore store = new ResourceStore();
  private final ObjectMapper mapper = mapper();
  private final Declarations declarations;
  private final OkHttpClient http;
  private final ProbeScheduler probes;
  private final HostHeartbeat heartbeat;
  private final SocketKiller killer;
  private final ScheduledExecutorService kills;
  private volatile long lastKill;
  private final UpstreamResolver resolver;
  private final TunnelMonitor tunnels;
  private final StandaloneRuntime runtime;
  private final ManifestDirectorySource files;
  private final OperatorSettings settings;
  private final RecordsPlane records;
  private final RoutingState routing;
  private RouterReconciler router;
  private HealthServer health;
  private volatile boolean ready;
  private volatile boolean stopping;
  private final TransitionTimes transitions = new TransitionTimes(Clock.systemUTC());
  private volatile Notifier notifyTo = Notifier.NONE;
  // Handed out once (e.g. to the Caddy router); forwards to whatever setNotifier installs later.
  private final Notifier notifier = event -> notifyTo.publish(event);

  private SwitchboardOperator(OperatorSettings settings, MeterRegistry meters) throws IOException {
    Clock clock = Clock.systemUTC();
    store.addIndex(BACKENDS_BY_SERVICE, "Backend", r -> List.of(((Backend) r).getSpec().service));
    store.addIndex(BACKENDS_BY_SITE, "Backend", r -> List.of(((Backend) r).getSpec().site));
    declarations = new Declarations(store, mapper, clock);
    http =
        new OkHttpClient.Builder().followRedirects(false).retryOnConnectionFailure(false).build();
    records =
        settings.records() == null
            ? null
            : new RecordsPlane(
                settings.records(),
                store,
                declarations,
                mapper,
                settings.resync(),
                settings.subnets(),
                clock,
                meters);
    // Before the runtime's listener: a transition is told before the reconciles it causes (a
    // backend's down before its site's) are even enqueued.
    store.addListener(
        new Transitions(notifier, records == null ? EventRecorder.NONE : records.journal(), clock));
    runtime =
        new StandaloneRuntime(
            store, declarations, meters, mapper, settings.workers(), settings.resync());
    declarations.onWriteFailure((key, e) -> runtime.statusWriteFailed(key));
    declarations.onContestChange(runtime::republish);
    probes =
        new ProbeScheduler(
            new Prober(http),
            (key, snapshot, changed) -> {
              if (changed) {
                runtime.enqueue(key);
              }
              if (records != null) {
                records.probeListener().onProbe(key, snapshot, changed);
              }
            },
            meters);
    killer = new SocketKiller(settings.heartbeat().killCommand(), java.time.Duration.ofSeconds(2));
    kills =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("socket-killer").daemon().unstarted(r));
    resolver =
        settings.routing().enabled()
            ? UpstreamResolver.start(resolverAddress(settings.routing().caddy().resolver()))
            : null;
    if (resolver != null) {
      settings =
          settings.withRouting(
              settings
                  .routing()
                  .withResolver(resolver.address(), settings.routing().caddy().resolverRefresh()));
    }
    OperatorSettings.HeartbeatSettings hb = settings.heartbeat();
    Duration refresh = settings.routing().caddy().resolverRefresh();
    heartbeat =
        new HostHeartbeat(
            hb.interval(),
            hb.timeout(),
            hb.misses(),
            (host, before, after) -> {
              onHostVerdict(host, before, after, refresh);
            });
    probes.freezeWhile(host -> heartbeat.verdict(host) == HostHeartbeat.Verdict.DEAD);
    tunnels =
        new TunnelMonitor(
            new WireGuardReader(settings.wireguard().command(), settings.wireguard().timeout()),
            clock,
            settings.wireguard().pollInterval(),
            (site, verdict) -> runtime.enqueue(site));
    routing = settings.routing().enabled() ? new RoutingState() : null;
    this.settings = settings;
    registerControllers(clock, settings);
    if (routing != null) {
      registerRouter(clock, settings, meters);
    }
    declarations.registerWriter(
        ManifestFileWriter.SOURCE, new ManifestFileWriter(settings.manifests()));
    files =
        new ManifestDirectorySource(
            settings.manifests(),
            declarations,
            new DocumentAdmission(Optional.of(new SchemaValidator(settings.subnets()))),
            new ManifestParser(),
            settings.resync());
    if (router != null) {
      router.onPush(
          (revision, content, error) -> {
            if (records != null) {
              records.revisions().pushed(revision, content, error);
            }
            if (error != null) {
              notifier.caddySyncFailed(error);
            }
          });
    }
  }

  /** Builds and starts everything; returns once the initial scan is done. */
  public static SwitchboardOperator start(OperatorSettings settings, MeterRegistry meters)
      throws IOException {
    SwitchboardOperator op = new SwitchboardOperator(settings, meters);
    try {
      if (settings.listen() != null) {
        op.health = HealthServer.start(settings.listen(), op::readiness);
      }
      op.runtime.start();
      op.heartbeat.start();
      op.tunnels.start();
      if (op.records != null) {
        op.records.start();
      }
      op.files.start();
      if (op.routing != null) {
        op.startRouting();
      }
      op.ready = true;
      log.info("switchboard running: {} resources from {}", op.store.size(), settings.manifests());
      return op;
    } catch (IOException | RuntimeException e) {
      op.close();
      throw e;
    }
  }

  private void registerControllers(Clock clock, OperatorSettings settings) {
    runtime.register(
        new Controller<>(
                "Backend",
                Backend.class,
                new BackendReconciler(probes, heartbeat, clock, settings.probeStatusRefresh()))
            .secondary(Site.class, (b, s) -> one(s.get(Site.class, "Site", b.getSpec().site)))
            .secondary(
                Service.class, (b, s) -> one(s.get(Service.class, "Service", b.getSpec().service)))
            .watchSpec("Site", site -> backendsOf(BACKENDS_BY_SITE, site))
            .watchSpec("Service", svc -> backendsOf(BACKENDS_BY_SERVICE, svc)));
    runtime.register(
        new Controller<>("Service", Service.class, new ServiceReconciler(clock, routing))
            .secondary(
                Backend.class,
                (svc, s) ->
                    Set.copyOf(
                        s.byIndex(Backend.class, BACKENDS_BY_SERVICE, svc.getMetadata().getName())))
            .watch(
                "Backend",
                b -> Set.of(new ResourceKey("Service", ((Backend) b).getSpec().service))));
    runtime.register(
        new Controller<>("Site", Site.class, new SiteReconciler(clock, tunnels, heartbeat))
            .secondary(
                Backend.class,
                (site, s) ->
                    Set.copyOf(
                        s.byIndex(Backend.class, BACKENDS_BY_SITE, site.getMetadata().getName())))
            .watch("Backend", b -> Set.of(new ResourceKey("Site", ((Backend) b).getSpec().site))));
  }

  /**
   * The router is reconciled under one synthetic key that lives only in the store; every change of
   * a Service or Site spec, and every Backend change (its Ready status matters), enqueues it.
   */
  private void registerRouter(Clock clock, OperatorSettings settings, MeterRegistry meters) {
    router =
        new RouterReconciler(
            new CaddyAdminClient(http, settings.routing().adminUrl()),
            resolver,
            healthView(),
            settings.routing(),
            routing,
            clock,
            meters);
    Set<ResourceKey> routerKey = Set.of(Router.KEY);
    runtime.register(
        new Controller<>(Router.KIND, Router.class, router)
            .secondary(Service.class, (r, s) -> Set.copyOf(s.list(Service.class, "Service")))
            .secondary(Backend.class, (r, s) -> Set.copyOf(s.list(Backend.class, "Backend")))
            .secondary(Site.class, (r, s) -> Set.copyOf(s.list(Site.class, "Site")))
            .watchSpec("Service", svc -> routerKey)
            // Status too: a site judged down (TunnelUp=False) leaves rotation in one push.
            .watch("Site", site -> routerKey)
            .watch("Backend", b -> routerKey));
    routing.addListener(
        names -> names.forEach(name -> runtime.enqueue(new ResourceKey("Service", name))));
  }

  /**
   * The router's key enters the store (and its first pass runs) only once the fleet is known: the
   * manifest directory scanned and, with a table source, the table listed once (at most {@code
   * ROUTER_WAIT} for a database that does not answer). A first pass on a partial fleet would push a
   * Caddy config without the missing services: 404s for routes that were serving (measured: 70
   * answers 404 in a restart under load before this).
   */
  private void startRouting() {
    CompletableFuture<Void> table =
        records == null ? CompletableFuture.completedFuture(null) : records.tableListed();
    table
        .completeOnTimeout(null, ROUTER_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .thenRun(
            () -> {
              if (records != null && !records.tableListed().isDone()) {
                log.warn(
                    "routing starts without the resources table (not listed after {} s):"
                        + " services declared only in rows are not routed until it is",
                    ROUTER_WAIT.toSeconds());
              }
              if (!stopping) {
                store.put(Router.instance());
              }
            });
  }

  static final Duration ROUTER_WAIT = Duration.ofSeconds(30);

  /**
   * A host's heartbeat verdict changed: its backends' Ready, its site and the router's answers
   * follow at once. A dead host's connections are ended once Caddy has asked the resolver again
   * ({@code refresh} later, so a retried request cannot pick the dead host from a stale answer),
   * and twice more for requests that still did; a host answering again is probed now.
   */
  private void onHostVerdict(
      String host, HostHeartbeat.Verdict before, HostHeartbeat.Verdict after, Duration refresh) {
    for (Backend b : store.list(Backend.class, "Backend")) {
      if (host.equals(b.getSpec().address)) {
        runtime.enqueue(ResourceKey.of(b));
      }
    }
    for (Site site : store.list(Site.class, "Site")) {
      runtime.enqueue(ResourceKey.of(site));
    }
    if (routing != null) {
      runtime.enqueue(Router.KEY);
    }
    if (after == HostHeartbeat.Verdict.DEAD && killer.enabled()) {
      // Once Caddy has asked the resolver again; again when every cached answer has surely been
      // refreshed (a request sent to the dead host in between would wait its whole response
      // timeout: measured, 5-6 requests of 1.1-1.7 s per cut with the first kill alone); and once
      // more a second later.
      for (Duration delay :
          List.of(
              refresh.plusMillis(50),
              refresh.multipliedBy(2).plusMillis(150),
              refresh.plusSeconds(1))) {
        kills.schedule(this::killDeadHostsConnections, delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    if (before == HostHeartbeat.Verdict.DEAD && after == HostHeartbeat.Verdict.ALIVE) {
      probes.probeNow(host);
    }
  }

  /**
   * One {@code ss} for every host dead now: a whole site's hosts die within milliseconds of each
   * other, and one call per host would end the last host's connections hundreds of ms late.
   */
  private void killDeadHostsConnections() {
    long now = System.nanoTime();
    if (now - lastKill < TimeUnit.MILLISECONDS.toNanos(20)) {
      return; // a kill of every dead host just ran
    }
    lastKill = now;
    Set<String> dead = heartbeat.dead();
    int n = killer.kill(dead);
    if (n > 0) {
      log.info("ended {} connections to dead hosts {}", n, dead);
    }
  }

  /** A port of a live host refuses (or accepts again): its backends leave (or await a probe). */
  private void onPort(String host, int port, boolean open) {
    for (Backend b : store.list(Backend.class, "Backend")) {
      if (host.equals(b.getSpec().address) && Integer.valueOf(port).equals(b.getSpec().port)) {
        runtime.enqueue(ResourceKey.of(b));
      }
    }
    if (routing != null) {
      runtime.enqueue(Router.KEY);
    }
    if (open) {
      probes.probeNow(host);
    }
  }

  /**
   * Live = healthy by this process's probe, its host not judged dead and its port not refusing;
   * after its host or port came back, only once a probe passed since (its health from before the
   * outage says nothing of the processes that restarted).
   */
  private HealthView healthView() {
    return new HealthView() {
      @Override
      public boolean live(Backend b) {
        String host = b.getSpec().address;
        int port = b.getSpec().port;
        if (heartbeat.verdict(host) == HostHeartbeat.Verdict.DEAD
            || heartbeat.refused(host, port)) {
          return false;
        }
        var resumed = heartbeat.resumedAt(host, port);
        return probes
            .snapshot(ResourceKey.of(b))
            .map(
                s ->
                    s.state() == BackendStatus.Health.State.Healthy
                        && (resumed.isEmpty()
                            || (s.consecutiveSuccesses() > 0
                                && s.lastProbeTime() != null
                                && !s.lastProbeTime().isBefore(resumed.get()))))
            .orElse(false);
      }

      @Override
      public boolean known(Backend b) {
        return probes
            .snapshot(ResourceKey.of(b))
            .map(s -> s.state() != BackendStatus.Health.State.Unknown)
            .orElse(false);
      }
    };
  }

  private static InetSocketAddress resolverAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private Set<ResourceKey> backendsOf(String index, HasMetadata owner) {
    return store.byIndex(Backend.class, index, owner.getMetadata().getName()).stream()
        .map(ResourceKey::of)
        .collect(Collectors.toSet());
  }

  private static <T> Set<T> one(Optional<T> value) {
    return value.map(Set::of).orElse(Set.of());
  }

  /** The mapper shared by the runtime and the sources: lenient on read, ISO dates. */
  public static ObjectMapper mapper() {
    return new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  }

  public ResourceStore store() {
    return store;
  }

  public Declarations declarations() {
    return declarations;
  }

  public StandaloneRuntime runtime() {
    return runtime;
  }

  /** The router's results; empty when routing is off. */
  public Optional<RoutingState> routing() {
    return Optional.ofNullable(routing);
  }

  /** The upstream resolver Caddy asks; empty when routing is off. */
  public Optional<UpstreamResolver> resolver() {
    return Optional.ofNullable(resolver);
  }

  /** The host heartbeat (tests read its verdicts). */
  public HostHeartbeat heartbeat() {
    return heartbeat;
  }

  /** The router (tests reach its hook); empty when routing is off. */
  public Optional<RouterReconciler> router() {
    return Optional.ofNullable(router);
  }

  public OkHttpClient http() {
    return http;
  }

  public boolean ready() {
    return ready;
  }

  /**
   * What {@code /readyz} reports: {@code Ready} (the initial scan is done), {@code StatusWritten}
   * (status write-back works), {@code RecordsSynced} when records are on, {@code Routed} (Caddy's
   * state) when routing is on. Only {@code Ready} decides readiness: a database or Caddy outage or
   * files that cannot be written are reported, never turned into a 503 (a supervisor restarting the
   * process would not fix them and would stop routing meanwhile).
   */
  public Readiness readiness() {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(transitions.stamp(ProcessConditions.ready(ready, stopping)));
    conditions.add(transitions.stamp(declarations.statusWriteHealth().condition()));
    if (records != null) {
      conditions.add(records.condition());
    }
    if (routing != null) {
      conditions.add(transitions.stamp(ProcessConditions.routed(routing.current())));
    }
    return new Readiness(ready, conditions);
  }

  /** Where {@code /healthz} and {@code /readyz} are served; empty without {@code listen}. */
  public Optional<InetSocketAddress> healthAddress() {
    return Optional.ofNullable(health).map(HealthServer::address);
  }

  /** PostgreSQL records, when enabled: RecordsSynced, the revision recorder for Caddy. */
  public Optional<RecordsPlane> records() {
    return Optional.ofNullable(records);
  }

  /**
   * Where components report events for webhooks (the Caddy router calls {@link
   * Notifier#caddySyncFailed}); does nothing until {@link #setNotifier} installs a target.
   */
  public Notifier notifier() {
    return notifier;
  }

  /** Installs the webhook dispatcher: backend and site transitions, failed Caddy syncs. */
  public void setNotifier(Notifier target) {
    notifyTo = target;
  }

  /** Stops watching, lets in-flight reconciles and status writes finish, then stops probing. */
  @Override
  public void close() {
    stopping = true;
    ready = false;
    closeQuietly(files);
    closeQuietly(runtime);
    declarations.flush();
    closeQuietly(probes);
    closeQuietly(heartbeat);
    kills.shutdownNow();
    closeQuietly(resolver);
    closeQuietly(tunnels);
    closeQuietly(records);
    if (health != null) {
      closeQuietly(health);
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
