package fr.acecinema.switchboard.api;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Identity of a resource: its kind and name (Switchboard has a single namespace). */
public record ResourceKey(String kind, String name) implements Comparable<ResourceKey> {
  public static ResourceKey of(HasMetadata r) {
    return new ResourceKey(r.getKind(), r.getMetadata().getName());
  }

  @Override
  public int compareTo(ResourceKey o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return kind + "/" + name;
  }
}
