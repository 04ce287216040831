package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.operator.RecordsSettings;
import fr.acecinema.switchboard.operator.SwitchboardOperator;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;

/** {@code sbctl run}: the operator on the watched directory of the configuration. */
final class LocalLauncher implements OperatorLauncher {
  @Override
  public Running start(SwitchboardConfig config) throws Exception {
    SwitchboardOperator operator =
        SwitchboardOperator.start(settings(config), new SimpleMeterRegistry());
    return new Running() {
      @Override
      public boolean ready() {
        return operator.ready();
      }

      @Override
      public void close() {
        operator.close();
      }
    };
  }

  static OperatorSettings settings(SwitchboardConfig config) {
    // The CLI serves /healthz itself (RunCommand), so the operator starts no endpoint of its own.
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
        routing(config));
  }

  /** Routing as configured: {@code --caddy-sync off} gives none. */
  static RouterSettings routing(SwitchboardConfig config) {
    if (!config.caddySync()) {
      return RouterSettings.disabled();
    }
    return RouterSettings.caddy(
            config.caddyAdmin().toString(), List.of(config.caddyListen()), config.caddyAutoHttps())
        .withRemovalDelay(config.caddyRemovalDelay());
  }
}
