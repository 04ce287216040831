package fr.acecinema.switchboard.postgres;

/** Kubernetes event types, stored as "Normal" and "Warning". */
public enum EventType {
  NORMAL("Normal"),
  WARNING("Warning");

  private final String stored;

  EventType(String stored) {
    this.stored = stored;
  }

  /** The value stored in {@code events.type}. */
  public String stored() {
    return stored;
  }

  public static EventType fromStored(String value) {
    for (EventType t : values()) {
      if (t.stored.equals(value)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown event type " + value);
  }
}
