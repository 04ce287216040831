package fr.acecinema.switchboard.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Containers of one image that feed a {@link Service}: the hub decides which replicas each site
 * runs (written into the status), each site's agent runs them through its Docker engine, and they
 * register as that site's {@link Backend}s.
 */
@Group(Site.GROUP)
@Version(Site.VERSION)
@Kind("Deployment")
@Singular("deployment")
@Plural("deployments")
@ShortNames("deploy")
public class Deployment extends CustomResource<DeploymentSpec, DeploymentStatus>
    implements Namespaced {
  @Override
  protected DeploymentStatus initStatus() {
    return new DeploymentStatus();
  }
}
