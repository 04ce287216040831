package fr.acecinema.switchboard.app;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.caddy.CaddyAdminClient;
import fr.acecinema.switchboard.caddy.UpstreamResolver;
import fr.acecinema.switchboard.config.Listen;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.notify.Notifier;
import fr.acecinema.switchboard.notify.Transitions;
import fr.acecinema.switchboard.notify.Webhooks;
import fr.acecinema.switchboard.operator.HostVerdicts;
import fr.acecinema.switchboard.operator.HubViews;
import fr.acecinema.switchboard.operator.Leadership;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.operator.ProcessConditions;
import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.operator.RecordsPlane;
import fr.acecinema.switchboard.operator.RecordsSettings;
import fr.acecinema.switchboard.operator.TransitionTimes;
import fr.acecinema.switchboard.postgres.EventRecord;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.Prober;
import fr.acecinema.switchboard.probe.SocketKiller;
import fr.acecinema.switchboard.reconciler.BackendReconciler;
import fr.acecinema.switchboard.reconciler.DeploymentReconciler;
import fr.acecinema.switchboard.reconciler.HubViewSource;
import fr.acecinema.switchboard.reconciler.Indexes;
import fr.acecinema.switchboard.reconciler.ProbedHealth;
import fr.acecinema.switchboard.reconciler.Router;
import fr.acecinema.switchboard.reconciler.RouterReconciler;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.reconciler.RoutingState;
import fr.acecinema.switchboard.reconciler.ServiceReconciler;
import fr.acecinema.switchboard.reconciler.SiteReconciler;
import fr.acecinema.switchboard.reconciler.records.ConditionEvents;
import fr.acecinema.switchboard.reconciler.records.DeploymentRevisions;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import fr.acecinema.switchboard.reconciler.records.RecordsReconciler;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.ApiTargets;
import fr.acecinema.switchboard.server.FleetGauges;
import fr.acecinema.switchboard.server.JvmMeters;
import fr.acecinema.switchboard.server.ResourceApi;
import fr.acecinema.switchboard.server.ResourceTarget;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.server.WatchHub;
import fr.acecinema.switchboard.source.Declarations;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.file.ManifestDirectorySource;
import fr.acecinema.switchboard.source.file.ManifestFileWriter;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.WireGuardReader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the one place that builds and starts the whole process, as
 * sample-controller's {@code main.go} or Flink's {@code FlinkOperator} do. {@code sbctl run} calls
 * {@link #run}, the demo, the tests and the benchmarks call {@link #start}. Wiring only: every
 * piece of logic lives in the class it builds.
 *
 * <p>What it builds: the resource store with its {@link Indexes}; the {@link Declarations} that
 * join the manifest directory and (with records) the resources table; one {@link StandaloneRuntime}
 * for the control plane, driving the Backend, Service, Site and Router reconcilers, each declaring
 * its own inputs ({@code controller()}); a second instance of the same runtime for the PostgreSQL
 * inventory, so a slow database never holds a routing worker; the adapters (probes, host heartbeat,
 * WireGuard monitor, Caddy admin client and upstream resolver); and for {@code sbctl run} the
 * metrics registry, webhooks and the API.
 *
 * <p>Start order makes cold start deterministic: the runtimes before the sources, so the initial
 * scan's store changes are enqueued; the directory's initial scan before {@code /readyz} says
 * ready; the router's key only once the fleet is known (see {@link #startRouting}).
 */
public final class Switchboard implements Running {
  private static final Logger log = LoggerFactory.getLogger(Switchboard.class);

  /** How long the router waits for the resources table before routing without it. */
  static final Duration ROUTER_WAIT = Duration.ofSeconds(30);

  /** Starts a process from the configuration ({@link #start(SwitchboardConfig)} or a fake). */
  @FunctionalInterface
  interface Launcher {
    Running start(SwitchboardConfig config) throws Exception;
  }

  private final Clock clock = Clock.systemUTC();
  private final ObjectMapper mapper = mapper();
  private final ResourceStore store = new ResourceStore();
  private final MeterRegistry meters;
  private final Declarations declarations;
  private final OkHttpClient http;
  private final RecordsPlane records;
  // What each hub sees, shared through the database; null unless hubs share the fleet.
  private final HubViews hubViews;
  private final StandaloneRuntime runtime;
  // Told what changed while no hub led, when this hub takes the lead (hubs sharing a database).
  private final Transitions told;
  private final StandaloneRuntime recordsRuntime;
  private final ProbeScheduler probes;
  private final HostVerdicts hostVerdicts;
  private final HostHeartbeat heartbeat;
  private final UpstreamResolver resolver;
  private final TunnelMonitor tunnels;
  private final RoutingState routing;
  private final RouterReconciler router;
  private final ManifestDirectorySource files;
  private final TransitionTimes transitions = new TransitionTimes(clock);
  private final AgentRegistry agents = new AgentRegistry(clock);
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();
  private volatile Notifier notifyTo = Notifier.NONE;
  // Handed out once (to the router, the transitions); forwards to what setNotifier installs later,
  // while this hub leads (hubs sharing a database: one webhook per transition, from the leader).
  private final Notifier notifier =
      event -> {
        if (leading()) {
          notifyTo.publish(event);
        }
      };
  private volatile ApiServer.Api api;
  private volatile ApiServer health;
  private volatile InetSocketAddress healthListen;
  private volatile boolean ready;
  // The manifests scanned and the table listed once (or given up on): decisions made before would
  // be made on part of the fleet (a Deployment's first plan without its sites or replicas).
  private volatile boolean fleetKnown;
  private volatile boolean stopping;

  private Switchboard(OperatorSettings settings, MeterRegistry meters) throws IOException {
    this.meters = meters;
    Indexes.register(store);
    declarations = new Declarations(store, mapper, clock, settings.statusWriteFailingAfter());
    http =
        new OkHttpClient.Builder().followRedirects(false).retryOnConnectionFailure(false).build();

    // Records first: their listeners hear a change before the reconciles it causes are enqueued.
    records =
        settings.records() == null
            ? null
            : new RecordsPlane(
                settings.records(),
                declarations,
                settings.resync(),
                settings.subnets(),
                clock,
                meters);
    EventRecorder events = records == null ? EventRecorder.NONE : records.journal();
    if (records != null) {
      store.addListener(new ConditionEvents(events));
      store.addListener(new DeploymentRevisions(records.journal(), clock));
    }
    told = new Transitions(notifier, events, clock, this::leading);
    store.addListener(told);

    runtime =
        new StandaloneRuntime(
            store, declarations, meters, mapper, settings.workers(), settings.resync());
    declarations.onWriteFailure((key, e) -> runtime.statusWriteFailed(key));
    declarations.onContestChange(runtime::republish);
    recordsRuntime = records == null ? null : recordsRuntime(settings, records);
    hubViews =
        records == null || records.leadership().isEmpty()
            ? null
            : new HubViews(
                settings.records().leader().hub(),
                records::database,
                key -> this.runtime.enqueue(key),
                Duration.ofSeconds(1),
                settings.records().leader().lease());
    if (hubViews != null) {
      store.addListener(hubViews);
    }
    if (records != null && records.leadership().isPresent()) {
      Leadership leadership = records.leadership().get();
      declarations.publishOnlyWhile(leadership::leading);
      // Leading again (or for the first time): every status, inventory row and Deployment decision
      // is this hub's to make now, from what it sees.
      leadership.onChange(
          () -> {
            if (leadership.leading()) {
              store.keys().forEach(runtime::republish);
              recordsRuntime.resyncAll();
              Thread.ofVirtual().name("leading-catch-up").start(this::catchUp);
            }
          });
    }

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
    resolver =
        settings.routing().enabled()
            ? UpstreamResolver.start(resolverAddress(settings.routing().caddy().resolver()))
            : null;
    if (resolver != null) {
      // The resolver may have been asked for port 0: Caddy must be told the one it got.
      settings =
          settings.withRouting(
              settings
                  .routing()
                  .withResolver(resolver.address(), settings.routing().caddy().resolverRefresh()));
    }
    OperatorSettings.HeartbeatSettings hb = settings.heartbeat();
    hostVerdicts =
        new HostVerdicts(
            store,
            runtime,
            probes,
            new SocketKiller(hb.killCommand(), Duration.ofSeconds(2)),
            settings.routing().caddy().resolverRefresh(),
            settings.routing().enabled());
    heartbeat = new HostHeartbeat(hb.interval(), hb.timeout(), hb.misses(), hostVerdicts);
    hostVerdicts.watching(heartbeat);
    probes.freezeWhile(host -> heartbeat.verdict(host) == HostHeartbeat.Verdict.DEAD);
    tunnels =
        new TunnelMonitor(
            new WireGuardReader(settings.wireguard().command(), settings.wireguard().timeout()),
            clock,
            settings.wireguard().pollInterval(),
            (site, verdict) -> runtime.enqueue(site));
    routing = settings.routing().enabled() ? new RoutingState() : null;

    HubViewSource views = hubViews == null ? HubViewSource.NONE : hubViews;
    runtime.register(
        new BackendReconciler(probes, heartbeat, clock, settings.probeStatusRefresh())
            .withHubViews(views)
            .controller());
    runtime.register(new ServiceReconciler(clock, routing).controller());
    agents.onReport(site -> runtime.enqueue(new ResourceKey("Site", site)));
    runtime.register(
        new SiteReconciler(clock, tunnels, heartbeat, agents, settings.probeStatusRefresh())
            .withHubViews(views)
            .controller());
    runtime.register(
        new DeploymentReconciler(clock, store, agents, this::leading, () -> fleetKnown)
            .controller());
    router = routing == null ? null : router(settings);

    declarations.registerWriter(
        ManifestFileWriter.SOURCE, new ManifestFileWriter(settings.manifests()));
    files =
        new ManifestDirectorySource(
            settings.manifests(),
            declarations,
            new DocumentAdmission(Optional.of(new SchemaValidator(settings.subnets()))),
            new ManifestParser(),
            settings.resync());
  }

  /** The inventory on a runtime instance of its own (two workers: the pool has 4 connections). */
  private StandaloneRuntime recordsRuntime(OperatorSettings settings, RecordsPlane records) {
    StandaloneRuntime instance =
        new StandaloneRuntime(
            "records",
            "switchboard.records",
            store,
            StatusPublisher.NONE,
            meters,
            mapper,
            2,
            settings.resync());
    new RecordsReconciler(
            records.handle(),
            records.health(),
            key ->
                declarations
                    .originOf(key)
                    .map(o -> o.source() + ":" + o.location())
                    .orElse("unknown"),
            mapper,
            clock,
            meters)
        .registerOn(instance);
    return instance;
  }

  private RouterReconciler router(OperatorSettings settings) {
    RouterReconciler r =
        new RouterReconciler(
            new CaddyAdminClient(http, settings.routing().adminUrl()),
            resolver,
            new ProbedHealth(probes, heartbeat),
            settings.routing(),
            routing,
            clock,
            meters);
    runtime.register(r.controller());
    routing.addListener(
        names -> names.forEach(name -> runtime.enqueue(new ResourceKey("Service", name))));
    r.onPush(
        (revision, content, error) -> {
          if (records != null) {
            records.revisions().pushed(revision, content, error);
          }
          if (error != null) {
            notifier.caddySyncFailed(error);
          }
        });
    return r;
  }

  /**
   * Builds and starts the control plane; returns once the initial scan is done. With {@code
   * settings.listen()}, serves {@code /healthz} and {@code /readyz} there (tests).
   */
  public static Switchboard start(OperatorSettings settings, MeterRegistry meters)
      throws IOException {
    Switchboard sb = new Switchboard(settings, meters);
    try {
      if (settings.listen() != null) {
        sb.healthListen = settings.listen();
        sb.health =
            ApiServer.start(ApiServer.Settings.of(settings.listen()), sb::readiness, sb.api());
      }
      sb.runtime.start();
      if (sb.recordsRuntime != null) {
        sb.recordsRuntime.start();
      }
      sb.heartbeat.start();
      sb.tunnels.start();
      if (sb.records != null) {
        sb.records.start();
      }
      if (sb.hubViews != null) {
        sb.hubViews.start();
      }
      sb.files.start();
      sb.whenFleetKnown();
      sb.ready = true;
      log.info("switchboard running: {} resources from {}", sb.store.size(), settings.manifests());
      return sb;
    } catch (IOException | RuntimeException e) {
      sb.close();
      throw e;
    }
  }

  /**
   * What {@code sbctl run} starts: the control plane of {@code config}, its metrics in a Prometheus
   * registry, webhooks when configured, and the resource API over the fleet ({@link
   * ApiTargets#of}), to be served by {@link #run}.
   */
  public static Switchboard start(SwitchboardConfig config) throws IOException {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var gc = JvmMeters.bindTo(meters);
    Switchboard sb;
    try {
      sb = start(settings(config), meters);
    } catch (IOException | RuntimeException e) {
      gc.close();
      meters.close();
      throw e;
    }
    // Closed last, in this order, after the control plane.
    sb.owned.push(meters::close);
    sb.owned.push(gc);
    try {
      if (!config.webhooks().isEmpty()) {
        Webhooks webhooks =
            new Webhooks(
                config.webhooks(),
                config.webhookSecret(),
                sb.http,
                Webhooks.Settings.defaults(),
                meters,
                sb.clock);
        sb.owned.push(webhooks);
        sb.setNotifier(webhooks);
      }
      FleetGauges gauges = new FleetGauges(sb.store, mapper(), meters);
      sb.withApi(
          TokenStore.in(config.dataDir()),
          ApiTargets.of(config, sb.records()),
          () -> {
            gauges.refresh();
            return meters.scrape();
          });
      return sb;
    } catch (RuntimeException e) {
      sb.close();
      throw e;
    }
  }

  /**
   * Adds the resource API: tokens, resources of {@code target}, watches of the store, {@code
   * metrics}, and with records the history paths and an audit trail of API writes.
   */
  public Switchboard withApi(TokenStore tokens, ResourceTarget target, Supplier<String> metrics) {
    WatchHub watches = new WatchHub(store, mapper());
    store.addListener(watches);
    api =
        new ApiServer.Api(
            tokens,
            new ResourceApi(target),
            watches,
            metrics,
            records().map(ApiTargets::records),
            // API writes become events beside the control plane's own (sbctl events, dashboard).
            records().<EventRecorder>map(RecordsPlane::journal).orElse(EventRecorder.NONE),
            Optional.of(agents));
    return this;
  }

  /**
   * {@code sbctl run}: starts {@code config}'s process, serves it on {@code --listen}, waits for
   * {@code stop}, keeps serving with {@code /readyz} at 503 for the shutdown grace (or until {@code
   * hurry}: a second signal), then closes the listener and the process.
   *
   * @return 0 after a clean stop, 1 when starting or stopping failed
   */
  public static int run(SwitchboardConfig config, CountDownLatch stop, CountDownLatch hurry)
      throws InterruptedException {
    return run(config, Switchboard::start, stop, hurry);
  }

  /** {@link #run(SwitchboardConfig, CountDownLatch, CountDownLatch)} of any process (tests). */
  static int run(
      SwitchboardConfig config, Launcher launcher, CountDownLatch stop, CountDownLatch hurry)
      throws InterruptedException {
    log.atInfo()
        .addKeyValue("manifests", config.manifests())
        .addKeyValue("listen", Listen.format(config.listen()))
        .addKeyValue("caddyAdmin", config.caddyAdmin())
        .addKeyValue("workers", config.workers())
        .log("starting switchboard");
    Running running;
    try {
      running = launcher.start(config);
    } catch (Exception e) {
      log.error("could not start: {}", e.getMessage(), e);
      return 1;
    }
    AtomicBoolean stopping = new AtomicBoolean(false);
    int code = 0;
    try (ApiServer api =
        ApiServer.start(
            apiSettings(config),
            () -> stopping.get() ? running.readiness().stopping() : running.readiness(),
            running.api())) {
      stop.await();
      // Not ready from here on, so a load balancer stops sending before the routes go away; the
      // listener stays open for the grace period so that pollers of /readyz see it.
      stopping.set(true);
      Duration grace = config.shutdownGrace();
      log.atInfo()
          .addKeyValue("grace", grace)
          .log("stop requested; /readyz answers 503 until the grace period ends");
      if (grace.isPositive() && hurry.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.info("second stop signal; grace period cut short");
      }
      log.info("closing the listener; finishing in-flight work");
    } catch (IOException e) {
      log.error("{}", e.getMessage());
      code = 1;
    } finally {
      try {
        running.close();
      } catch (Exception e) {
        log.error("stopping failed: {}", e.getMessage(), e);
        code = 1;
      }
    }
    log.info("stopped");
    return code;
  }

  /** The API endpoint's settings from the configuration. */
  static ApiServer.Settings apiSettings(SwitchboardConfig config) {
    ApiServer.Settings s =
        ApiServer.Settings.of(config.listen()).withInsecureListen(config.insecureListen());
    if (config.tlsCert().isPresent() && config.tlsKey().isPresent()) {
      s = s.withTls(config.tlsCert().get(), config.tlsKey().get());
    }
    return s;
  }

  /** The control plane's settings from the configuration; {@link #run} serves the endpoints. */
  static OperatorSettings settings(SwitchboardConfig config) {
    return new OperatorSettings(
        config.manifests(),
        null,
        config.workers(),
        config.resync(),
        config.probeStatusRefresh(),
        OperatorSettings.WireGuardSettings.defaults(),
        config.records()
            ? new RecordsSettings(
                    config.databaseUrl(), config.dataDir(), config.recordsBuffer(), true)
                .withLeader(
                    config.leaderElection()
                        ? new RecordsSettings.LeaderSettings(
                            config.hubName(), config.leaseDuration())
                        : null)
            : null,
        config.caddySync()
            ? RouterSettings.caddy(
                    config.caddyAdmin().toString(),
                    List.of(config.caddyListen()),
                    config.caddyAutoHttps())
                .withResolver(config.caddyResolver(), config.caddyResolverRefresh())
            : RouterSettings.disabled(),
        new OperatorSettings.HeartbeatSettings(
            config.heartbeatInterval(),
            config.heartbeatTimeout(),
            config.heartbeatMisses(),
            config.killSockets() ? List.of("ss") : List.of()),
        config.subnetPolicy(),
        config.statusWriteFailingAfter());
  }

  /**
   * The router's key enters the store (and its first pass runs) only once the fleet is known: the
   * manifest directory scanned and, with a table source, the table listed once (at most {@code
   * ROUTER_WAIT} for a database that does not answer). A first pass on a partial fleet would push a
   * Caddy config without the missing services: 404s for routes that were serving (measured: 70
   * answers 404 in a restart under load before this).
   */
  private void whenFleetKnown() {
    CompletableFuture<Void> table =
        records == null ? CompletableFuture.completedFuture(null) : records.tableListed();
    table
        .completeOnTimeout(null, ROUTER_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .thenRun(
            () -> {
              if (records != null && !records.tableListed().isDone()) {
                log.warn(
                    "routing and Deployments start without the resources table (not listed after"
                        + " {} s): services declared only in rows are not routed until it is",
                    ROUTER_WAIT.toSeconds());
              }
              fleetKnown = true;
              if (routing != null && !stopping) {
                store.put(Router.instance());
              }
            });
  }

  /**
   * Tells what changed while no hub led (the previous leader dead, this one not leading yet): the
   * records say what was told last, the store what this hub sees now.
   */
  private void catchUp() {
    try {
      Map<ResourceKey, EventRecord> recorded =
          new RecordsRepository(records.database().orElseThrow()).lastHealthEvents();
      int late = told.catchUp(key -> Optional.ofNullable(recorded.get(key)));
      if (late > 0) {
        log.info("leading: told {} transition(s) that happened while no hub led", late);
      }
    } catch (RuntimeException e) {
      log.warn(
          "leading: could not compare what was told with what this hub sees ({}); a transition"
              + " that happened while no hub led may go untold",
          e.toString());
    }
  }

  private static InetSocketAddress resolverAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
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

  /**
   * Whether this hub does what happens once per fleet (status write-back, records, webhooks,
   * Deployment decisions): always, unless hubs share a database and another holds the lease.
   */
  public boolean leading() {
    return records == null || records.leadership().map(Leadership::leading).orElse(true);
  }

  /** The records runtime instance; empty when records are off. */
  public Optional<StandaloneRuntime> recordsRuntime() {
    return Optional.ofNullable(recordsRuntime);
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

  /** PostgreSQL records, when enabled: RecordsSynced, the revision recorder for Caddy. */
  public Optional<RecordsPlane> records() {
    return Optional.ofNullable(records);
  }

  @Override
  public Optional<ApiServer.Api> api() {
    return Optional.ofNullable(api);
  }

  /** Where {@code /healthz} and {@code /readyz} are served; empty without {@code listen}. */
  public Optional<InetSocketAddress> healthAddress() {
    return Optional.ofNullable(health)
        .map(s -> new InetSocketAddress(healthListen.getAddress(), s.port()));
  }

  /**
   * What {@code /readyz} reports: {@code Ready} (the initial scan is done), {@code StatusWritten}
   * (status write-back works), {@code RecordsSynced} when records are on, {@code Routed} (Caddy's
   * state) when routing is on. Only {@code Ready} decides readiness: a database or Caddy outage or
   * files that cannot be written are reported, never turned into a 503 (a supervisor restarting the
   * process would not fix them and would stop routing meanwhile).
   */
  @Override
  public Readiness readiness() {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(transitions.stamp(ProcessConditions.ready(ready, stopping)));
    conditions.add(transitions.stamp(declarations.statusWriteHealth().condition()));
    if (records != null) {
      conditions.add(records.condition());
      records
          .leadership()
          .ifPresent(l -> conditions.add(transitions.stamp(ProcessConditions.leader(l))));
    }
    if (routing != null) {
      conditions.add(transitions.stamp(ProcessConditions.routed(routing.current())));
    }
    return new Readiness(ready, conditions);
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

  /**
   * Stops watching, lets in-flight reconciles and status writes finish, then stops probing, the
   * records, the webhooks and the metrics.
   */
  @Override
  public void close() {
    stopping = true;
    ready = false;
    closeQuietly(health);
    closeQuietly(files);
    closeQuietly(runtime);
    declarations.flush();
    closeQuietly(probes);
    closeQuietly(heartbeat);
    closeQuietly(hostVerdicts);
    closeQuietly(resolver);
    closeQuietly(tunnels);
    closeQuietly(recordsRuntime);
    closeQuietly(hubViews);
    closeQuietly(records);
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    while (!owned.isEmpty()) {
      closeQuietly(owned.pop());
    }
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
