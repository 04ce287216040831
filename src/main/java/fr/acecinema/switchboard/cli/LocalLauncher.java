package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.notify.Webhooks;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.operator.RecordsPlane;
import fr.acecinema.switchboard.operator.RecordsSettings;
import fr.acecinema.switchboard.operator.SwitchboardOperator;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.reconciler.records.EventRecorder;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.FleetGauges;
import fr.acecinema.switchboard.server.FleetTarget;
import fr.acecinema.switchboard.server.JvmMeters;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.ResourceApi;
import fr.acecinema.switchboard.server.ResourceTarget;
import fr.acecinema.switchboard.server.TableTarget;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.server.WatchHub;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code sbctl run}: the operator on the watched directory of the configuration, its metrics in a
 * Prometheus registry, the resource API over the same directory (or the resources table, with
 * {@code --api-target table}), webhooks when configured.
 */
final class LocalLauncher implements OperatorLauncher {
  @Override
  public Running start(SwitchboardConfig config) throws Exception {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    JvmGcMetrics gc = JvmMeters.bindTo(meters);
    SwitchboardOperator operator = SwitchboardOperator.start(settings(config), meters);
    Webhooks webhooks = null;
    if (!config.webhooks().isEmpty()) {
      webhooks =
          new Webhooks(
              config.webhooks(),
              config.webhookSecret(),
              operator.http(),
              Webhooks.Settings.defaults(),
              meters,
              Clock.systemUTC());
      operator.setNotifier(webhooks);
    }
    WatchHub watches = new WatchHub(operator.store(), SwitchboardOperator.mapper());
    operator.store().addListener(watches);
    FleetGauges gauges = new FleetGauges(operator.store(), SwitchboardOperator.mapper(), meters);
    ApiServer.Api api =
        new ApiServer.Api(
            TokenStore.in(config.dataDir()),
            new ResourceApi(target(config, operator)),
            watches,
            () -> {
              gauges.refresh();
              return meters.scrape();
            },
            operator.records().map(LocalLauncher::records),
            // API writes become events beside the operator's own (sbctl events, the dashboard).
            operator
                .records()
                .<EventRecorder>map(RecordsPlane::journal)
                .orElse(EventRecorder.NONE));
    Webhooks started = webhooks;
    return new Running() {
      @Override
      public boolean ready() {
        return operator.ready();
      }

      @Override
      public Readiness readiness() {
        return operator.readiness();
      }

      @Override
      public Optional<ApiServer.Api> api() {
        return Optional.of(api);
      }

      @Override
      public void close() {
        operator.close();
        if (started != null) {
          started.close();
        }
        gc.close();
        meters.close();
      }
    };
  }

  /**
   * Where the API stores what it creates ({@code --api-target}). The table is the operator's own
   * database, opened in the background: until it is open the table target answers 503.
   */
  static ResourceTarget target(SwitchboardConfig config, SwitchboardOperator operator) {
    ManifestDirectoryTarget files =
        new ManifestDirectoryTarget(config.manifests(), config.subnetPolicy());
    boolean toTable = config.apiTarget() == SwitchboardConfig.ApiTarget.table;
    if (operator.records().isEmpty()) {
      if (toTable) {
        throw new IllegalStateException(
            "--api-target table needs the records plane (--records on)");
      }
      return files;
    }
    RecordsPlane records = operator.records().get();
    // Rows and files are one fleet whatever the target: reads show both, writes go where the
    // resource is declared, only new resources go to --api-target.
    return new FleetTarget(
        files,
        new TableTarget(
            () -> new ResourceTable(opened(records)), config.manifests(), config.subnetPolicy()),
        toTable);
  }

  /**
   * The records the API serves: the operator's own database, opened in the background; until it is
   * open the records paths answer 503.
   */
  static Supplier<RecordsRepository> records(RecordsPlane plane) {
    return () -> new RecordsRepository(opened(plane));
  }

  private static Database opened(RecordsPlane plane) {
    return plane
        .database()
        .orElseThrow(
            () ->
                new DatabaseUnavailableException(
                    "the database is still starting (see the RecordsSynced condition on"
                        + " /readyz)",
                    null));
  }

  static OperatorSettings settings(SwitchboardConfig config) {
    // The CLI serves the API and /healthz itself (RunCommand), so the operator starts no endpoint.
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
            : null,
        routing(config),
        new OperatorSettings.HeartbeatSettings(
            config.heartbeatInterval(),
            config.heartbeatTimeout(),
            config.heartbeatMisses(),
            config.killSockets() ? List.of("ss") : List.of()),
        config.subnetPolicy());
  }

  /** Routing as configured: {@code --caddy-sync off} gives none. */
  static RouterSettings routing(SwitchboardConfig config) {
    if (!config.caddySync()) {
      return RouterSettings.disabled();
    }
    return RouterSettings.caddy(
            config.caddyAdmin().toString(), List.of(config.caddyListen()), config.caddyAutoHttps())
        .withResolver(config.caddyResolver(), config.caddyResolverRefresh());
  }
}
