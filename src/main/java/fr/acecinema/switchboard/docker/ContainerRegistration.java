package fr.acecinema.switchboard.docker;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a container's {@code switchboard.*} labels ask for, validated by {@link ContainerLabels}:
 * the Backend it is to become, less the site and address, which the agent knows and the labels do
 * not. Unset optional labels stay empty so the Backend's own defaults apply (weight 1, primary, the
 * service's health path).
 *
 * @param service {@code switchboard.service}: the Service the container serves
 * @param port {@code switchboard.port}: the TCP port it listens on, 1-65535
 * @param weight {@code switchboard.weight}: 1-100
 * @param role {@code switchboard.role}: primary or standby
 * @param healthPath {@code switchboard.health.path}: the path of its HTTP health check
 */
public record ContainerRegistration(
    String service,
    int port,
    OptionalInt weight,
    Optional<BackendSpec.Role> role,
    Optional<String> healthPath) {

  /** The Backend spec of this container on {@code site} at {@code address}. */
  public BackendSpec toSpec(String site, String address) {
    BackendSpec spec = new BackendSpec();
    spec.service = service;
    spec.site = site;
    spec.address = address;
    spec.port = port;
    weight.ifPresent(w -> spec.weight = w);
    role.ifPresent(r -> spec.role = r);
    healthPath.ifPresent(
        p -> {
          spec.healthCheck = new HealthCheck();
          spec.healthCheck.path = p;
        });
    return spec;
  }
}
