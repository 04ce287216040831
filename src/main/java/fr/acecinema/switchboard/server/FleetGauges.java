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
        MultiGauge.builder("switchboard.backend.healthy")
            .description("1 when the backend passes its health check (Healthy=True)")
            .register(meters);
    backendReady =
        MultiGauge.builder("switchboard.backend.ready")
            .description("1 when the backend takes traffic (Ready=True)")
            .register(meters);
    serviceReady =
        MultiGauge.builder("switchboard.service.ready")
            .description("1 when the service has a ready backend (Ready=True)")
            .register(meters);
    siteReady =
        MultiGauge.builder("switchboard.site.ready")
            .description("1 when the site has a ready backend (Ready=True)")
            .register(meters);
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
    serviceReady.register(
        store.list(Service.class, "Service").stream()
            .<MultiGauge.Row<?>>map(
                s ->
                    MultiGauge.Row.of(
                        Tags.of("service", s.getMetadata().getName()),
                        condition(s, ConditionTypes.READY)))
            .toList(),
        true);
    siteReady.register(
        store.list(Site.class, "Site").stream()
            .<MultiGauge.Row<?>>map(
                s ->
                    MultiGauge.Row.of(
                        Tags.of("site", s.getMetadata().getName()),
                        condition(s, ConditionTypes.READY)))
            .toList(),
        true);
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
