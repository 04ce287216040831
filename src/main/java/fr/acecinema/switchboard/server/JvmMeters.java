package fr.acecinema.switchboard.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import java.lang.management.ManagementFactory;

/**
 * The JVM and process meters served on /metrics beside Switchboard's own, under names that {@code
 * promtool check metrics} accepts. Micrometer's {@link ProcessorMetrics} would serve the process's
 * CPU time as {@code process_cpu_time_ns_total} (an abbreviated unit: nanoseconds) and the CPU
 * count as {@code system_cpu_count} (a {@code _count} suffix, which Prometheus keeps for histograms
 * and summaries). They are served instead as {@code process_cpu_seconds_total}, the name every
 * Prometheus client library gives it, and {@code system_cpus}.
 */
public final class JvmMeters {
  static final String MICROMETER_CPU_TIME = "process.cpu.time";
  static final String MICROMETER_CPU_COUNT = "system.cpu.count";

  private JvmMeters() {}

  /**
   * Binds the JVM, process and system meters to {@code meters}, which must not hold any meter yet
   * (its filters apply only to meters registered after them).
   *
   * @return the GC meters' listener, to close when the registry is no longer scraped
   */
  public static JvmGcMetrics bindTo(MeterRegistry meters) {
    meters
        .config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals(MICROMETER_CPU_TIME)))
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                return id.getName().equals(MICROMETER_CPU_COUNT) ? id.withName("system.cpus") : id;
              }
            });
    new JvmMemoryMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
          .baseUnit("seconds")
          .description("CPU time used by the Java Virtual Machine process (user and system)")
          .register(meters);
    }
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(meters);
    return gc;
  }
}
