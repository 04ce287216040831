package fr.acecinema.switchboard.api;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The kinds of the model, in one place: admission, the validator, the API's paths, the resources
 * table and sbctl all take them from here, so a new kind is added once.
 */
public final class Kinds {
  /** Every kind, in the order {@code sbctl get all} shows them: the ones others refer to first. */
  public static final List<Class<? extends CustomResource<?, ?>>> TYPES =
      List.of(Site.class, Service.class, Backend.class, Deployment.class);

  /** Kind name → class, in {@link #TYPES} order. */
  public static final Map<String, Class<? extends CustomResource<?, ?>>> BY_NAME;

  static {
    Map<String, Class<? extends CustomResource<?, ?>>> byName = new LinkedHashMap<>();
    for (Class<? extends CustomResource<?, ?>> type : TYPES) {
      byName.put(HasMetadata.getKind(type), type);
    }
    BY_NAME = java.util.Collections.unmodifiableMap(byName);
  }

  /** Kind names, e.g. {@code [Site, Service, Backend, Deployment]}. */
  public static final List<String> NAMES = List.copyOf(BY_NAME.keySet());

  private Kinds() {}

  /** {@code "Site, Service, Backend or Deployment"}, for messages. */
  public static String listed() {
    return NAMES.subList(0, NAMES.size() - 1).stream().collect(Collectors.joining(", "))
        + " or "
        + NAMES.get(NAMES.size() - 1);
  }
}
