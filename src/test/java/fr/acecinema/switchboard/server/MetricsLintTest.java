package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The checks of {@link MetricsLint} catch what they are for, and the JVM meters of {@code sbctl
 * run} ({@link JvmMeters}) pass them. The whole {@code /metrics} of a running {@code sbctl run} is
 * checked, with promtool, by {@code ApiEndToEndIT}.
 */
class MetricsLintTest {
  private static final String EXPOSITION =
      """
      # HELP switchboard_status_writes_total Statuses handed to the source
      # TYPE switchboard_status_writes_total counter
      switchboard_status_writes_total{kind="Backend",outcome="WRITTEN"} 3.0
      # HELP switchboard_queue_depth
      # TYPE switchboard_queue_depth gauge
      switchboard_queue_depth 0.0
      # HELP switchboard_probe_latency_seconds Duration of one health probe
      # TYPE switchboard_probe_latency_seconds summary
      switchboard_probe_latency_seconds_count{backend="a,\\"b}",result="success"} 1
      switchboard_probe_latency_seconds_sum{backend="a,\\"b}",result="success"} 0.01
      """;

  @Test
  void readsSeriesAndTheirLabelsWhateverTheValues() {
    assertThat(MetricsLint.series(EXPOSITION))
        .containsEntry("switchboard_status_writes_total", Set.of("kind", "outcome"))
        .containsEntry("switchboard_queue_depth", Set.of())
        .containsEntry("switchboard_probe_latency_seconds_count", Set.of("backend", "result"));
  }

  @Test
  void findsFamiliesWithoutHelp() {
    assertThat(MetricsLint.withoutHelp(EXPOSITION)).containsExactly("switchboard_queue_depth");
  }

  @Test
  void flagsALabelTheMetricDoesNotCarry() throws Exception {
    // The "Status writes" panel as it was: grouped by a label the counter never had.
    String dashboard =
        """
        {"panels": [{"targets": [
          {"expr": "sum by (result) (rate(switchboard_status_writes_total[5m]))",
           "legendFormat": "{{result}}"},
          {"expr": "sum by (kind, outcome) (rate(switchboard_status_writes_total{kind=\\"Backend\\"}[5m]))",
           "legendFormat": "{{kind}} {{outcome}}"},
          {"expr": "rate(switchboard_probe_latency_seconds_sum[$__rate_interval]) / rate(switchboard_probe_latency_seconds_count[5m])",
           "legendFormat": "{{backend}} {{site}}"},
          {"expr": "switchboard_queue_depth_total", "legendFormat": "queue"}
        ]}]}
        """;
    Map<String, Set<String>> served = MetricsLint.series(EXPOSITION);
    assertThat(MetricsLint.dashboardProblems(new ObjectMapper().readTree(dashboard), served))
        .containsExactly(
            "switchboard_status_writes_total has no label 'result', only [kind, outcome] (query:"
                + " sum by (result) (rate(switchboard_status_writes_total[5m])))",
            "switchboard_probe_latency_seconds_sum has no label 'site', only [backend, result]"
                + " (query: rate(switchboard_probe_latency_seconds_sum[$__rate_interval]) /"
                + " rate(switchboard_probe_latency_seconds_count[5m]))",
            "switchboard_probe_latency_seconds_count has no label 'site', only [backend, result]"
                + " (query: rate(switchboard_probe_latency_seconds_sum[$__rate_interval]) /"
                + " rate(switchboard_probe_latency_seconds_count[5m]))",
            "switchboard_queue_depth_total is not served (query: switchboard_queue_depth_total)");
  }

  @Test
  void jvmMetersHaveHelpAndPrometheusNames() {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (var gc = JvmMeters.bindTo(meters)) {
      String scrape = meters.scrape();
      assertThat(MetricsLint.withoutHelp(scrape)).isEmpty();
      assertThat(MetricsLint.series(scrape))
          .containsKeys("process_cpu_seconds_total", "system_cpus", "jvm_memory_used_bytes")
          .doesNotContainKeys("process_cpu_time_ns_total", "system_cpu_count");
    }
  }
}
