package fr.acecinema.switchboard.reconciler;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import fr.acecinema.switchboard.api.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/**
 * The key the router is reconciled under: one synthetic resource ({@code Router/caddy}) that lives
 * only in the in-memory store, never in a file, a table or a CRD. The whole routing table is one
 * Caddy server, so one key is the right granularity: every Service, Backend and Site change
 * enqueues it, and the work queue's de-duplication already coalesces a burst into few reconciles.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
// HasMetadata's own deserializer maps unknown kinds to GenericKubernetesResource; the runtime
// copies resources through Jackson, so this one must be read as itself.
@JsonDeserialize(using = JsonDeserializer.None.class)
public final class Router implements HasMetadata {
  /** Kind of the synthetic resource. */
  public static final String KIND = "Router";

  /** The one router key. */
  public static final ResourceKey KEY = new ResourceKey(KIND, "caddy");

  private ObjectMeta metadata =
      new ObjectMetaBuilder().withName(KEY.name()).withGeneration(1L).build();
  private String apiVersion = "internal.switchboard.acecinema.fr/v1";

  /** The singleton, ready to be put in the store. */
  public static Router instance() {
    return new Router();
  }

  @Override
  public ObjectMeta getMetadata() {
    return metadata;
  }

  @Override
  public void setMetadata(ObjectMeta metadata) {
    this.metadata = metadata;
  }

  @Override
  public String getKind() {
    return KIND;
  }

  @Override
  public String getApiVersion() {
    return apiVersion;
  }

  @Override
  public void setApiVersion(String version) {
    this.apiVersion = version;
  }
}
