package fr.acecinema.switchboard.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A stable public endpoint (hosts and optional path prefix) routed to a pool of backends. */
@Group(Site.GROUP)
@Version(Site.VERSION)
@Kind("Service")
@Singular("service")
@Plural("services")
@ShortNames("svc")
public class Service extends CustomResource<ServiceSpec, ServiceStatus> implements Namespaced {
  @Override
  protected ServiceStatus initStatus() {
    return new ServiceStatus();
  }
}
