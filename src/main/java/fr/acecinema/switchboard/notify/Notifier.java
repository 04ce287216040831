package fr.acecinema.switchboard.notify;

/**
 * Where the operator reports events people should hear about. {@link #publish} never blocks and
 * never throws: a reconcile or a Caddy push must not wait for, or fail because of, a webhook.
 */
public interface Notifier {
  /** Does nothing: the default when no webhook is configured. */
  Notifier NONE = event -> {};

  /** Queues {@code event} for delivery. */
  void publish(WebhookEvent event);

  /** For the Caddy router: a push of the routes to Caddy's admin API failed. */
  default void caddySyncFailed(String message) {
    publish(WebhookEvent.caddySyncFailed(message, java.time.Instant.now()));
  }
}
