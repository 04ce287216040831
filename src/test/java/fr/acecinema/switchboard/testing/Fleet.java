package fr.acecinema.switchboard.testing;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;

/**
 * Minimal valid Sites, Services and Backends for reconciler tests, at generation 1; tests change
 * the public spec fields they care about (and {@link #nextGeneration} after a spec edit, as a
 * source would).
 */
public final class Fleet {
  private static final Instant WRITTEN = Instant.parse("2026-01-01T00:00:00Z");

  private Fleet() {}

  public static Site site(String name, String subnet) {
    Site s = new Site();
    s.setMetadata(meta(name));
    s.setSpec(new SiteSpec());
    s.getSpec().subnet = subnet;
    return s;
  }

  public static Service service(String name, String host) {
    Service s = new Service();
    s.setMetadata(meta(name));
    s.setSpec(new ServiceSpec());
    s.getSpec().hosts = List.of(host);
    return s;
  }

  public static Backend backend(
      String name, String service, String site, String address, int port) {
    Backend b = new Backend();
    b.setMetadata(meta(name));
    b.setSpec(new BackendSpec());
    b.getSpec().service = service;
    b.getSpec().site = site;
    b.getSpec().address = address;
    b.getSpec().port = port;
    return b;
  }

  /**
   * Gives {@code backend} the status its reconciler writes: {@code Healthy} and {@code Ready} with
   * these values ({@code readyReason} null: {@code Serving} when ready, else the Healthy reason).
   */
  public static Backend withHealth(Backend backend, boolean healthy, boolean ready, String reason) {
    BackendStatus status = new BackendStatus();
    status.observedGeneration = backend.getMetadata().getGeneration();
    long g = backend.getMetadata().getGeneration();
    status.setCondition(
        new Condition(
            "Healthy",
            healthy ? Condition.TRUE : Condition.FALSE,
            healthy ? "ProbeSucceeded" : "ProbeFailed",
            ""),
        g,
        WRITTEN);
    String readyReason = reason != null ? reason : ready ? "Serving" : "ProbeFailed";
    status.setCondition(
        new Condition("Ready", ready ? Condition.TRUE : Condition.FALSE, readyReason, ""),
        g,
        WRITTEN);
    backend.setStatus(status);
    return backend;
  }

  /** Bumps metadata.generation, as a source does for a spec edit. */
  public static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T nextGeneration(T r) {
    r.getMetadata().setGeneration(r.getMetadata().getGeneration() + 1);
    return r;
  }

  private static ObjectMeta meta(String name) {
    return new ObjectMetaBuilder().withName(name).withGeneration(1L).build();
  }
}
