package fr.acecinema.switchboard.runtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/**
 * A resource that exists only in this process, never in a file, a table or a CRD: the key of a
 * reconciler whose subject is not a declared resource (the whole Caddy routing table, a sweep of
 * the database). Subclasses name the kind and need a public no-argument constructor and
 * {@code @JsonDeserialize(using = JsonDeserializer.None.class)}: HasMetadata's own deserializer
 * maps unknown kinds to GenericKubernetesResource, and the runtime copies resources through
 * Jackson.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public abstract class SyntheticResource implements HasMetadata {
  private ObjectMeta metadata;
  private String apiVersion = "internal.switchboard.acecinema.fr/v1";

  protected SyntheticResource(String name) {
    metadata = new ObjectMetaBuilder().withName(name).withGeneration(1L).build();
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
  public String getApiVersion() {
    return apiVersion;
  }

  @Override
  public void setApiVersion(String version) {
    this.apiVersion = version;
  }
}
