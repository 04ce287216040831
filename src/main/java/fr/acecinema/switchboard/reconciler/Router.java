package fr.acecinema.switchboard.reconciler;

import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.runtime.SyntheticResource;

/**
 * The key the router is reconciled under: one synthetic resource ({@code Router/caddy}) that lives
 * only in the in-memory store, never in a file, a table or a CRD. The whole routing table is one
 * Caddy server, so one key is the right granularity: every Service, Backend and Site change
 * enqueues it, and the work queue's de-duplication already coalesces a burst into few reconciles.
 */
@JsonDeserialize(using = JsonDeserializer.None.class)
public final class Router extends SyntheticResource {
  /** Kind of the synthetic resource. */
  public static final String KIND = "Router";

  /** The one router key. */
  public static final ResourceKey KEY = new ResourceKey(KIND, "caddy");

  public Router() {
    super(KEY.name());
  }

  /** The singleton, ready to be put in the store. */
  public static Router instance() {
    return new Router();
  }

  @Override
  public String getKind() {
    return KIND;
  }
}
