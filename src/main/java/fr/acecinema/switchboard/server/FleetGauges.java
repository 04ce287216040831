package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.runtime.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;

/**
 * Health of the fleet as gauges, read from the store's statuses: {@code
 * switchboard.backend.healthy{backend,service,site}} and {@code switchboard.backend.ready{...}} (1
 * when the condition is True, else 0), {@code switchboard.service.ready{service}}, {@code
 * switchboard.site.ready{site}}. {@link #refresh()} runs before every scrape, so the gauges cost
 * nothing between scrapes and deleted resources disappear from the output.
 */
public final class FleetGauges {
  private final ResourceStore store;
  private final ObjectMapper mapper;
  private final MultiGauge backendHealthy;
  private final MultiGauge backendReady;
  private final MultiGauge serviceReady;
  private final MultiGauge siteReady;

  public FleetGauges(ResourceStore store, ObjectMapper mapper, MeterRegistry meters) {
    this.store = store;
    this.mapper = mapper;
    backendHealthy =
        gauge(meters, "backend.healthy", "the backend passes its health check (Healthy=True)");
    backendReady = gauge(meters, "backend.ready", "the backend takes traffic (Ready=True)");
    serviceReady = gauge(meters, "service.ready", "the service has a ready backend (Ready=True)");
    siteReady = gauge(meters, "site.ready", "the site has a ready backend (Ready=True)");
  }

  private static MultiGauge gauge(MeterRegistry meters, String name, String when) {
    return MultiGauge.builder("switchboard." + name).description("1 when " + when).register(meters);
  }

  /** Re-reads every status from the store. */
  public synchronized void refresh() {
    List<MultiGauge.Row<?>> healthy = new ArrayList<>();
    List<MultiGauge.Row<?>> ready = new ArrayList<>();
    for (Backend b : store.list(Backend.class, "Backend")) {
      Tags tags =
          Tags.of(
              "backend", b.getMetadata().getName(),
              "service", String.valueOf(b.getSpec().service),
              "site", String.valueOf(b.getSpec().site));
      healthy.add(MultiGauge.Row.of(tags, condition(b, ConditionTypes.HEALTHY)));
      ready.add(MultiGauge.Row.of(tags, condition(b, ConditionTypes.READY)));
    }
    backendHealthy.register(healthy, true);
    backendReady.register(ready, true);
    serviceReady.register(readyByName(store.list(Service.class, "Service"), "service"), true);
    siteReady.register(readyByName(store.list(Site.class, "Site"), "site"), true);
  }

  /** One Ready row per resource, tagged {@code tag=<its name>}. */
  private List<MultiGauge.Row<?>> readyByName(List<? extends HasMetadata> resources, String tag) {
    return resources.stream()
        .<MultiGauge.Row<?>>map(
            r ->
                MultiGauge.Row.of(
                    Tags.of(tag, r.getMetadata().getName()), condition(r, ConditionTypes.READY)))
        .toList();
  }

  private int condition(HasMetadata resource, String type) {
    JsonNode conditions = mapper.valueToTree(resource).path("status").path("conditions");
    for (JsonNode c : conditions) {
      if (type.equals(c.path("type").asText())) {
        return "True".equals(c.path("status").asText()) ? 1 : 0;
      }
    }
    return 0;
  }
}
