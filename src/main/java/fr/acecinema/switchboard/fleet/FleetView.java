package fr.acecinema.switchboard.fleet;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.util.List;

/**
 * What {@code sbctl get/describe/wait} read: the resources declared in the watched directory with
 * the status last written into them. Implemented over the manifest parser.
 */
public interface FleetView {
  /**
   * Everything declared now: one row per accepted resource and one error row per document that
   * could not be accepted (syntax or schema error, duplicate name), sorted by kind then name. Never
   * throws on bad manifests; throws only when the directory itself cannot be read.
   */
  List<ResourceRow> list() throws IOException;

  /**
   * Where this view reads, as named in sbctl's "not found in …" and "No resources found in …"
   * messages: the manifests directory, or the remote server.
   */
  default String where() {
    return "the fleet";
  }

  /**
   * The accepted resources (declared exactly once) as typed objects, with the status last written
   * into them; what {@code sbctl render} plans from.
   */
  default List<HasMetadata> resources() throws IOException {
    throw new UnsupportedOperationException("this fleet view cannot list typed resources");
  }
}
