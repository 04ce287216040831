package fr.acecinema.switchboard.operator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.notify.HealthTransitions;
import fr.acecinema.switchboard.notify.Notifier;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.Prober;
import fr.acecinema.switchboard.reconciler.BackendReconciler;
import fr.acecinema.switchboard.reconciler.ServiceReconciler;
import fr.acecinema.switchboard.reconciler.SiteReconciler;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.runtime.ResourceKey;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import fr.acecinema.switchboard.server.HealthServer;
import fr.acecinema.switchboard.source.Declarations;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.file.ManifestDirectorySource;
import fr.acecinema.switchboard.source.file.ManifestFileWriter;
import fr.acecinema.switchboard.validation.SchemaValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
  private final StandaloneRuntime runtime;
  private final ManifestDirectorySource files;
  private final OperatorSettings settings;
  private HealthServer health;
  private volatile boolean ready;
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
    runtime =
        new StandaloneRuntime(
            store, declarations, meters, mapper, settings.workers(), settings.resync());
    probes =
        new ProbeScheduler(
            new Prober(http),
            (key, snapshot, changed) -> {
              if (changed) {
                runtime.enqueue(key);
              }
            },
            meters);
    registerControllers(clock, settings);
    declarations.registerWriter(
        ManifestFileWriter.SOURCE, new ManifestFileWriter(settings.manifests()));
    files =
        new ManifestDirectorySource(
            settings.manifests(),
            declarations,
            new DocumentAdmission(Optional.of(new SchemaValidator())),
            new ManifestParser(),
            settings.resync());
    this.settings = settings;
  }

  /** Builds and starts everything; returns once the initial scan is done. */
  public static SwitchboardOperator start(OperatorSettings settings, MeterRegistry meters)
      throws IOException {
    SwitchboardOperator op = new SwitchboardOperator(settings, meters);
    try {
      if (settings.listen() != null) {
        op.health = HealthServer.start(settings.listen(), op::ready);
      }
      op.runtime.start();
      op.files.start();
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
                new BackendReconciler(probes, clock, settings.probeStatusRefresh()))
            .secondary(Site.class, (b, s) -> one(s.get(Site.class, "Site", b.getSpec().site)))
            .secondary(
                Service.class, (b, s) -> one(s.get(Service.class, "Service", b.getSpec().service)))
            .watchSpec("Site", site -> backendsOf(BACKENDS_BY_SITE, site))
            .watchSpec("Service", svc -> backendsOf(BACKENDS_BY_SERVICE, svc)));
    runtime.register(
        new Controller<>("Service", Service.class, new ServiceReconciler(clock))
            .secondary(
                Backend.class,
                (svc, s) ->
                    Set.copyOf(
                        s.byIndex(Backend.class, BACKENDS_BY_SERVICE, svc.getMetadata().getName())))
            .watch(
                "Backend",
                b -> Set.of(new ResourceKey("Service", ((Backend) b).getSpec().service))));
    runtime.register(
        new Controller<>("Site", Site.class, new SiteReconciler(clock))
            .secondary(
                Backend.class,
                (site, s) ->
                    Set.copyOf(
                        s.byIndex(Backend.class, BACKENDS_BY_SITE, site.getMetadata().getName())))
            .watch("Backend", b -> Set.of(new ResourceKey("Site", ((Backend) b).getSpec().site))));
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

  public OkHttpClient http() {
    return http;
  }

  public boolean ready() {
    return ready;
  }

  /**
   * Where components report events for webhooks (the Caddy router calls {@link
   * Notifier#caddySyncFailed}); does nothing until {@link #setNotifier} installs a target.
   */
  public Notifier notifier() {
    return notifier;
  }

  /** Installs the webhook dispatcher, and hears backend and site health flips from the store. */
  public void setNotifier(Notifier target) {
    notifyTo = target;
    store.addListener(new HealthTransitions(notifier, mapper, Clock.systemUTC()));
  }

  /** Stops watching, lets in-flight reconciles and status writes finish, then stops probing. */
  @Override
  public void close() {
    ready = false;
    closeQuietly(files);
    closeQuietly(runtime);
    closeQuietly(probes);
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
