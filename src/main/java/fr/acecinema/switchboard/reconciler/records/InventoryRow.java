package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * What the inventory should hold for one live resource: the desired row, compared with the last row
 * written so that an unchanged resource costs no database call.
 *
 * @param source where it is declared, e.g. {@code file:api/dijon.yaml} or {@code table:Backend/x}
 * @param spec the resource's spec
 * @param status its status, null before the first reconcile
 * @param generation its metadata.generation
 */
record InventoryRow(String source, JsonNode spec, JsonNode status, long generation) {
  /** The row {@code resource} should have; a pure function of the resource and its origin. */
  static InventoryRow desired(HasMetadata resource, String source, ObjectMapper mapper) {
    JsonNode spec = null;
    JsonNode status = null;
    if (resource instanceof CustomResource<?, ?> cr) {
      spec = cr.getSpec() == null ? null : mapper.valueToTree(cr.getSpec());
      status = cr.getStatus() == null ? null : mapper.valueToTree(cr.getStatus());
    }
    Long g = resource.getMetadata().getGeneration();
    return new InventoryRow(source, spec, status, g == null ? 0 : g);
  }
}
