package fr.acecinema.switchboard.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** One running instance of a service on a site, reachable at address:port over WireGuard. */
@Group(Site.GROUP)
@Version(Site.VERSION)
@Kind("Backend")
@Singular("backend")
@Plural("backends")
@ShortNames("be")
public class Backend extends CustomResource<BackendSpec, BackendStatus> implements Namespaced {
  @Override
  protected BackendStatus initStatus() {
    return new BackendStatus();
  }
}
