package fr.acecinema.switchboard.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A failure domain: a LAN of Docker hosts joined to the hub over WireGuard, one subnet. */
@Group(Site.GROUP)
@Version(Site.VERSION)
@Kind("Site")
@Singular("site")
@Plural("sites")
@ShortNames("st")
public class Site extends CustomResource<SiteSpec, SiteStatus> implements Namespaced {
  public static final String GROUP = "switchboard.acecinema.fr";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  @Override
  protected SiteStatus initStatus() {
    return new SiteStatus();
  }
}
