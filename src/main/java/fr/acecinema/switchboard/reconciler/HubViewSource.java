package fr.acecinema.switchboard.reconciler;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.HubView;
import java.util.List;

/**
 * What every hub of a shared fleet sees of a Backend or Site, for its {@code status.hubs}: this
 * hub's view from the {@code Ready} it just computed, the others' from the database. Read from
 * memory: a reconcile never waits for the database.
 */
@FunctionalInterface
public interface HubViewSource {
  /** One hub, no shared fleet: no {@code status.hubs}. */
  HubViewSource NONE = (kind, name, ownReady) -> null;

  /**
   * @param ownReady the {@code Ready} this hub computed; null when it has none
   * @return every hub's view, this hub's first, then by hub name; null without a shared fleet
   */
  List<HubView> views(String kind, String name, Condition ownReady);
}
