package fr.acecinema.switchboard.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import fr.acecinema.switchboard.runtime.StatusPublisher.Outcome;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of who declares what, across every source (files, table rows). It turns the sources'
 * level-triggered reports into store updates: a kind/name declared once is put in the store;
 * declared twice, anywhere, every newcomer gets a {@code Conflict} status and is not applied, so
 * none wins silently. A conflict never takes away what was serving: the declaration already in the
 * store (the last valid one) stays there, and its {@code Accepted} condition says {@code Conflict}
 * until only one declaration is left; only when no declaration was serving (both arrived in the
 * same scan) is neither applied. Rejected documents get their error as status. It also routes
 * reconciled statuses back to the declaration they belong to.
 */
public final class Declarations implements DeclarationSink, StatusPublisher {
  private static final Logger log = LoggerFactory.getLogger(Declarations.class);
  private volatile java.util.function.BooleanSupplier leading = () -> true;

  private record Location(String source, String location) {}

  private record Content(List<Declaration> accepted, List<Rejection> rejected) {}

  private final ResourceStore store;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final Map<String, StatusWriter> writers = new ConcurrentHashMap<>();
  private final Map<Location, Content> byLocation = new HashMap<>();
  private final Map<ResourceKey, List<Declaration>> claims = new HashMap<>();
  // Rejection text -> when first seen, so rewriting the same rejection is a no-op for the writer.
  private final Map<String, String> rejectedSince = new ConcurrentHashMap<>();

  // The declaration whose resource is in the store, by key: the one that keeps serving when a
  // second declaration of its name appears.
  private final Map<ResourceKey, Origin> serving = new HashMap<>();
  // Keys whose serving declaration is contested -> its Accepted condition's message and since when.
  private final Map<ResourceKey, Contest> contested = new ConcurrentHashMap<>();

  private record Contest(String message, String since) {}

  private final StatusOutbox outbox;
  private final StatusWriteHealth writeHealth;
  private volatile StatusOutbox.FailureListener failureListener = (key, e) -> {};
  private volatile java.util.function.Consumer<ResourceKey> contestChanged = key -> {};

  public Declarations(ResourceStore store, ObjectMapper mapper, Clock clock) {
    this(store, mapper, clock, java.time.Duration.ofSeconds(30));
  }

  /**
   * @param writesFailingAfter how long every status write of one location must fail before {@link
   *     #writeHealth} says so
   */
  public Declarations(
      ResourceStore store,
      ObjectMapper mapper,
      Clock clock,
      java.time.Duration writesFailingAfter) {
    this.store = store;
    this.mapper = mapper;
    this.clock = clock;
    this.writeHealth = new StatusWriteHealth(clock, writesFailingAfter);
    this.outbox =
        new StatusOutbox(writers::get, (k, e) -> failureListener.failed(k, e), writeHealth, 8);
  }

  /**
   * Who to tell when a queued status could not be written (the runtime forgets it published that
   * status and reconciles the key again).
   */
  public void onWriteFailure(java.util.function.BiConsumer<ResourceKey, Exception> listener) {
    this.failureListener = listener::accept;
  }

  /** Whether status write-back works ({@code StatusWritten} of {@code /readyz}). */
  public StatusWriteHealth statusWriteHealth() {
    return writeHealth;
  }

  /**
   * Who to tell when a serving declaration becomes contested or stops being so: its status must be
   * published again (with or without the {@code Conflict} reason) although the resource did not
   * change.
   */
  public void onContestChange(java.util.function.Consumer<ResourceKey> listener) {
    this.contestChanged = listener;
  }

  /**
   * Writes statuses only while {@code leading} (hubs sharing a database: the leader writes them);
   * meanwhile every status counts as unchanged, and the composition root has every status published
   * again when this hub starts leading.
   */
  public void publishOnlyWhile(java.util.function.BooleanSupplier leading) {
    this.leading = leading;
  }

  /** Writes every queued status before returning (SIGTERM finishes in-flight writes). */
  public void flush() {
    outbox.close();
  }

  public void registerWriter(String source, StatusWriter writer) {
    writers.put(source, writer);
  }

  @Override
  public void replace(
      String source, String location, List<Declaration> accepted, List<Rejection> rejected) {
    List<Runnable> writes = new ArrayList<>();
    synchronized (this) {
      Location loc = new Location(source, location);
      Content old = byLocation.get(loc);
      List<Declaration> kept = keptFrom(old, accepted, rejected);
      if (!kept.isEmpty()) {
        rejected = rejected.stream().map(r -> stillApplied(r, kept)).toList();
        accepted = new ArrayList<>(accepted);
        accepted.addAll(kept);
      }
      byLocation.put(loc, new Content(List.copyOf(accepted), List.copyOf(rejected)));
      Set<ResourceKey> affected = new LinkedHashSet<>();
      if (old != null) {
        for (Declaration d : old.accepted()) {
          affected.add(d.key());
          List<Declaration> list = claims.get(d.key());
          if (list != null) {
            list.removeIf(c -> c.origin().equals(d.origin()));
          }
        }
      }
      for (Declaration d : accepted) {
        affected.add(d.key());
        claims.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d);
      }
      for (ResourceKey key : affected) {
        resolve(key, writes);
      }
      String prefix = source + "\0" + location + "\0";
      Set<String> live = new HashSet<>();
      for (Rejection r : rejected) {
        live.add(sinceKey(r));
      }
      rejectedSince.keySet().removeIf(k -> k.startsWith(prefix) && !live.contains(k));
      for (Rejection r : rejected) {
        log.warn("{} rejected ({}): {}", r.origin().describe(), r.reason(), r.message());
        if (r.writable()) {
          writes.add(() -> write(r.origin(), r.generation(), rejectedStatus(r)));
        }
      }
    }
    writes.forEach(Runnable::run);
  }

  /**
   * Bad input loses nothing: when a location that declared a resource now fails to parse, or the
   * resource's new version is rejected, its last accepted version stays in effect (as an API server
   * keeps the old object when an update is refused) instead of vanishing from routing.
   */
  private static List<Declaration> keptFrom(
      Content old, List<Declaration> accepted, List<Rejection> rejected) {
    if (old == null || rejected.isEmpty()) {
      return List.of();
    }
    Set<ResourceKey> acceptedKeys =
        accepted.stream().map(Declaration::key).collect(Collectors.toSet());
    boolean wholeLocationUnreadable =
        accepted.isEmpty() && rejected.stream().anyMatch(r -> r.key() == null && !r.writable());
    Set<ResourceKey> rejectedKeys =
        rejected.stream()
            .map(Rejection::key)
            .filter(java.util.Objects::nonNull)
            .collect(Collectors.toSet());
    return old.accepted().stream()
        .filter(d -> !acceptedKeys.contains(d.key()))
        .filter(d -> wholeLocationUnreadable || rejectedKeys.contains(d.key()))
        .toList();
  }

  private static Rejection stillApplied(Rejection r, List<Declaration> kept) {
    for (Declaration d : kept) {
      if (d.key().equals(r.key())) {
        return new Rejection(
            r.key(),
            r.origin(),
            r.generation(),
            r.reason(),
            r.message()
                + " (the last valid version, generation "
                + d.resource().getMetadata().getGeneration()
                + ", stays in effect until this is fixed)",
            r.writable());
      }
    }
    return r;
  }

  @Override
  public void removeLocation(String source, String location) {
    replace(source, location, List.of(), List.of());
    synchronized (this) {
      byLocation.remove(new Location(source, location));
    }
  }

  @Override
  public synchronized Set<String> locations(String source) {
    return byLocation.keySet().stream()
        .filter(l -> l.source().equals(source))
        .map(Location::location)
        .collect(Collectors.toCollection(HashSet::new));
  }

  /** The declaration the store's resource came from, when declared exactly once. */
  public synchronized Optional<Origin> originOf(ResourceKey key) {
    List<Declaration> list = claims.get(key);
    return list != null && list.size() == 1 ? Optional.of(list.get(0).origin()) : Optional.empty();
  }

  /** Every rejected document, for {@code sbctl get} and the API. */
  public synchronized List<Rejection> rejections() {
    return byLocation.values().stream().flatMap(c -> c.rejected().stream()).toList();
  }

  /** Keys currently declared more than once. */
  public synchronized Set<ResourceKey> conflicts() {
    return claims.entrySet().stream()
        .filter(e -> e.getValue().size() > 1)
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
  }

  /**
   * Keys whose serving declaration is contested by another one, with the message its {@code
   * Accepted} condition carries.
   */
  public Map<ResourceKey, String> contested() {
    return contested.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().message()));
  }

  @Override
  public Outcome publish(ResourceKey key, long generation, ObjectNode status) {
    if (!leading.getAsBoolean()) {
      return Outcome.UNCHANGED;
    }
    Optional<Origin> origin;
    Contest contest;
    synchronized (this) {
      origin = originOf(key).or(() -> Optional.ofNullable(serving.get(key)));
      contest = contested.get(key);
    }
    if (origin.isEmpty()) {
      return Outcome.STALE;
    }
    if (contest != null) {
      status = contestedStatus(status, contest);
    }
    if (!writers.containsKey(origin.get().source())) {
      throw new IllegalStateException("no status writer for source " + origin.get().source());
    }
    return outbox.submit(key, origin.get(), generation, status);
  }

  private void resolve(ResourceKey key, List<Runnable> writes) {
    List<Declaration> list = claims.getOrDefault(key, List.of());
    if (list.isEmpty()) {
      claims.remove(key);
      store.remove(key);
      serving.remove(key);
      uncontest(key, writes);
    } else if (list.size() == 1) {
      serve(list.get(0), writes);
      uncontest(key, writes);
    } else {
      Origin was = serving.get(key);
      Optional<Declaration> incumbent =
          list.stream().filter(d -> was != null && sameDocument(d.origin(), was)).findFirst();
      incumbent.ifPresentOrElse(
          d -> serve(d, writes),
          () -> {
            store.remove(key);
            serving.remove(key);
          });
      List<Declaration> sorted =
          list.stream().sorted(Comparator.comparing(x -> x.origin().describe())).toList();
      if (incumbent.isPresent()) {
        String others =
            sorted.stream()
                .filter(o -> o != incumbent.get())
                .map(o -> o.origin().describe())
                .collect(Collectors.joining(", "));
        String message =
            key
                + " is also declared in "
                + others
                + ", which is not applied; this declaration, the last valid one, keeps serving"
                + " until only one is left (delete or rename the other)";
        Contest before = contested.get(key);
        if (before == null || !before.message().equals(message)) {
          String since =
              before != null
                  ? before.since()
                  : clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
          contested.put(key, new Contest(message, since));
          writes.add(() -> contestChanged.accept(key));
        }
      }
      for (Declaration d : sorted) {
        if (incumbent.isPresent() && d == incumbent.get()) {
          continue;
        }
        String others =
            sorted.stream()
                .filter(o -> o != d)
                .map(o -> o.origin().describe())
                .collect(Collectors.joining(", "));
        String message =
            incumbent.isPresent()
                ? key
                    + " is also declared in "
                    + incumbent.get().origin().describe()
                    + ", which keeps serving; this declaration is not applied until only one is"
                    + " left (delete or rename one)"
                    + (sorted.size() > 2 ? "; also declared in " + others : "")
                : key
                    + " is also declared in "
                    + others
                    + "; neither is applied until only one declaration is left (delete or rename"
                    + " one)";
        log.warn("{}: {}", d.origin().describe(), message);
        Rejection conflict =
            new Rejection(
                key, d.origin(), generation(d.resource()), ConditionTypes.CONFLICT, message, true);
        writes.add(() -> write(d.origin(), conflict.generation(), rejectedStatus(conflict)));
      }
    }
  }

  /**
   * Puts the declaration's resource in the store and serves it. A new version of a stored resource
   * carries the stored status; a document whose status went missing (an apply writes the user's
   * text) gets the stored one written back, times and all.
   */
  private void serve(Declaration d, List<Runnable> writes) {
    ResourceKey key = d.key();
    HasMetadata stored = store.get(key).orElse(null);
    if (stored == null) {
      store.put(d.resource());
    } else if (!stored.getMetadata().getGeneration().equals(generation(d.resource()))) {
      store.put(withStatusOf(d.resource(), stored));
    } else if (conditions(d.resource()).isEmpty() && !conditions(stored).isEmpty()) {
      ObjectNode status = mapper.valueToTree(((CustomResource<?, ?>) stored).getStatus());
      long g = generation(d.resource());
      if (writers.containsKey(d.origin().source())) {
        // Through publish: a contested declaration's status says Conflict, as every other write.
        writes.add(() -> publish(key, g, status));
      }
    }
    serving.put(key, d.origin());
  }

  private void uncontest(ResourceKey key, List<Runnable> writes) {
    if (contested.remove(key) != null) {
      writes.add(() -> contestChanged.accept(key));
    }
  }

  /** The same document of the same file or row, wherever its first line moved. */
  private static boolean sameDocument(Origin a, Origin b) {
    return a.source().equals(b.source())
        && a.location().equals(b.location())
        && a.document() == b.document();
  }

  /**
   * The status of a contested serving declaration: what the reconcilers computed, its {@code
   * Accepted} condition saying {@code Conflict} (still True: it is applied and serving).
   */
  private static ObjectNode contestedStatus(ObjectNode status, Contest contest) {
    ObjectNode out = status.deepCopy();
    var conditions =
        out.has("conditions") && out.get("conditions").isArray()
            ? (com.fasterxml.jackson.databind.node.ArrayNode) out.get("conditions")
            : out.putArray("conditions");
    for (var c : conditions) {
      // Only an accepted spec is contested; a False Accepted keeps its own reason.
      if (ConditionTypes.ACCEPTED.equals(c.path("type").asText())
          && Condition.TRUE.equals(c.path("status").asText())
          && c instanceof ObjectNode o) {
        o.put("reason", ConditionTypes.CONFLICT);
        o.put("message", contest.message());
        o.put("lastTransitionTime", contest.since());
      }
    }
    return out;
  }

  /**
   * A new version of a stored resource carries the stored status (the status as this process knows
   * it, fresher than the one in the document, which an apply leaves out): a spec change is not a
   * transition, so conditions that do not change keep their lastTransitionTime, and {@code
   * Accepted}'s, which {@code sbctl get} shows as AGE, stays the resource's creation time. The
   * reconcile that follows sets what the new spec changes.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private HasMetadata withStatusOf(HasMetadata declared, HasMetadata stored) {
    if (!(declared instanceof CustomResource d)
        || !(stored instanceof CustomResource s)
        || s.getStatus() == null) {
      return declared;
    }
    CustomResource copy = mapper.convertValue(d, d.getClass());
    copy.setStatus(mapper.convertValue(s.getStatus(), s.getStatus().getClass()));
    return copy;
  }

  private static List<Condition> conditions(HasMetadata r) {
    if (r instanceof CustomResource<?, ?> cr
        && cr.getStatus() instanceof ResourceStatus status
        && status.conditions != null) {
      return status.conditions;
    }
    return List.of();
  }

  private static String sinceKey(Rejection r) {
    Origin o = r.origin();
    return o.source() + "\0" + o.location() + "\0" + o.document() + r.reason() + r.message();
  }

  private ObjectNode rejectedStatus(Rejection r) {
    var now =
        rejectedSince.computeIfAbsent(
            sinceKey(r), k -> clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    ObjectNode status = mapper.createObjectNode();
    if (r.generation() > 0) {
      status.put("observedGeneration", r.generation());
    }
    var conditions = status.putArray("conditions");
    for (String type : List.of(ConditionTypes.ACCEPTED, ConditionTypes.READY)) {
      Condition c = new Condition(type, Condition.FALSE, r.reason(), r.message());
      c.lastTransitionTime = now;
      c.observedGeneration = r.generation() > 0 ? r.generation() : null;
      conditions.add(mapper.valueToTree(c));
    }
    return status;
  }

  private void write(Origin origin, long generation, ObjectNode status) {
    StatusWriter writer = writers.get(origin.source());
    if (writer == null) {
      return;
    }
    try {
      writer.write(origin, generation, status);
    } catch (StatusWriter.BusyException e) {
      // Someone is writing the file: the outbox tries again once they are done.
      outbox.submit(null, origin, generation, status);
    } catch (IOException | RuntimeException e) {
      log.warn("could not write status into {}: {}", origin.describe(), e.toString());
    }
  }

  private static long generation(HasMetadata r) {
    Long g = r.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }
}
