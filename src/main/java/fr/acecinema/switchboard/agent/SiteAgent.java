package fr.acecinema.switchboard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.agent.AgentReport.ContainerSeen;
import fr.acecinema.switchboard.api.BackendNames;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.docker.ContainerEvent;
import fr.acecinema.switchboard.docker.ContainerEventListener;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.DockerEngine;
import fr.acecinema.switchboard.docker.DockerEngineException;
import fr.acecinema.switchboard.docker.EngineInfo;
import fr.acecinema.switchboard.docker.HealthStatus;
import fr.acecinema.switchboard.docker.ReplicaLabels;
import fr.acecinema.switchboard.util.LogThrottle;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's agent: keeps the hub's Backends of this site's containers equal to what the Docker
 * engine runs, runs the Deployment replicas the hub assigns to the site ({@link ReplicaRunner},
 * which it calls every {@code interval} and at each sync), and heartbeats the hub.
 *
 * <p>Level-triggered, with one worker thread. Each sync lists the engine's containers and derives
 * the Backends they call for: a container whose {@code switchboard.*} labels are valid, that runs
 * and that passes its Docker healthcheck (or has none) is a Backend named {@link BackendNames
 * SITE-CONTAINER} at the advertise address, labelled {@link ManagedBy managed-by agent/SITE}. A
 * registered container that is being stopped (a {@code kill} event) or fails its healthcheck is
 * written drained first, so requests in flight finish while no new one comes; it is deleted once it
 * no longer runs. Only differences are written: the hub's Backends are listed at start (and after
 * any failed call) and then followed from the agent's own writes, so a restarted agent that finds
 * everything in place writes nothing and no backend flaps.
 *
 * <p>Engine events only mark the agent dirty and wake the worker, so a burst of them costs one or
 * two syncs; a full sync every {@code resync} catches anything missed; a subscription that ends is
 * renewed with backoff (1 s doubling to 30 s), then listed again. Every {@code interval} an {@link
 * AgentReport} goes to the hub. While the hub or the engine does not answer, the agent keeps what
 * it knows, retries with backoff and logs one line per outage; it stops only when closed (leaving
 * its Backends in place for the next agent to adopt) or when it cannot tell its advertise address.
 */
public final class SiteAgent implements AutoCloseable {
  /** The first wait after a failure; doubled at each further one. */
  public static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  /** The longest wait between two attempts. */
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /**
   * How long a kill keeps a still-running container drained: a container that traps its stop signal
   * and goes on running is served again after this.
   */
  static final Duration STOP_MARK_TTL = Duration.ofMinutes(5);

  /**
   * Signals that ask a process to reload or report rather than to stop ({@code docker kill -s HUP}
   * to reload a configuration): their kill events do not drain. The engine writes the number.
   */
  private static final Set<String> NOT_STOPPING =
      Set.of("1", "10", "12", "28", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH");

  private static final Logger LOG = LoggerFactory.getLogger(SiteAgent.class);

  /**
   * What the agent is told.
   *
   * @param site the site it runs on
   * @param advertiseAddress where the hub reaches its containers; empty to find it from the site's
   *     subnet
   * @param interval between two heartbeats
   * @param resync between two full syncs when no event came
   * @param agentVersion reported to the hub
   */
  public record Settings(
      String site,
      Optional<String> advertiseAddress,
      Duration interval,
      Duration resync,
      String agentVersion) {}

  /** A kill seen for a container: the engine's time of it, and the agent's. */
  private record StopMark(Instant eventTime, Instant seenAt) {}

  /** A write the hub refused, not sent again while the same container wants the same spec. */
  private record Refusal(String containerId, JsonNode spec, String reason) {}

  /**
   * One container with {@code switchboard.*} labels, as a sync reads it.
   *
   * @param backend its Backend's name, null when its labels are rejected
   * @param spec the Backend it wants now (drained or not); null for none
   * @param problem why it cannot be registered (labels, name clash); null when it can
   */
  private record Entry(
      DockerContainer container, String backend, BackendSpec spec, String problem) {}

  /** What ends the agent: its advertise address cannot be told; waiting would not change that. */
  static final class GiveUp extends RuntimeException {
    GiveUp(String message) {
      super(message);
    }
  }

  private final Settings settings;
  private final DockerEngine engine;
  private final HubClient hub;
  private final Clock clock;
  private final Supplier<List<String>> localAddresses;
  private final String managedBy;

  private final Object lock = new Object();
  // Guarded by lock: what the event thread tells the worker.
  private boolean dirty;
  private boolean streamEnded;
  private boolean stopped;
  private Listener current;
  private final Map<String, StopMark> stopMarks = new ConcurrentHashMap<>();

  // The worker's own state.
  private String address;
  private Instant addressAt;
  private DockerEngine.Subscription subscription;
  private Instant subscribedAt;
  private Instant subscribeAt;
  private Instant syncAt;
  private Instant heartbeatAt;
  private Instant replicasAt;
  private final ReplicaRunner replicas;
  private Thread fence;
  private final Backoff addressBackoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
  private final Backoff subscribeBackoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
  private final Backoff syncBackoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
  private final Outage hubOutage;
  private final Outage engineOutage;
  private final LogThrottle throttle;
  private EngineInfo engineInfo;
  private final Map<String, BackendSpec> actual = new TreeMap<>();
  private boolean actualKnown;
  private Instant hubRetryAt = Instant.MIN;
  private final Map<String, Refusal> refused = new HashMap<>();
  // Containers whose rejected labels were logged: once per container, not at every resync.
  private final Set<String> rejectionsLogged = new HashSet<>();
  private List<ContainerSeen> seen = List.of();
  private Instant lastSentAt;
  private Duration replayJump = FIRST_BACKOFF;
  private boolean heartbeatFailed;

  private Thread worker;
  private volatile String fatal;

  /**
   * An agent; nothing happens before {@link #start}.
   *
   * @param localAddresses this host's addresses, to find the advertise address among
   */
  public SiteAgent(
      Settings settings,
      DockerEngine engine,
      HubClient hub,
      Clock clock,
      Supplier<List<String>> localAddresses) {
    this(settings, engine, hub, clock, localAddresses, ReplicaRunner::bindable);
  }

  /**
   * As the public constructor, with how a port is found free on the advertise address (tests: a
   * fake host has none of the addresses it advertises).
   */
  SiteAgent(
      Settings settings,
      DockerEngine engine,
      HubClient hub,
      Clock clock,
      Supplier<List<String>> localAddresses,
      java.util.function.BiPredicate<String, Integer> bindable) {
    this.settings = settings;
    this.engine = engine;
    this.hub = hub;
    this.clock = clock;
    this.localAddresses = localAddresses;
    this.managedBy = ManagedBy.agent(settings.site());
    this.hubOutage = new Outage("the hub", clock);
    this.engineOutage = new Outage("the Docker engine", clock);
    this.throttle = new LogThrottle(Duration.ofMinutes(1), clock);
    this.address = settings.advertiseAddress().orElse(null);
    Instant now = clock.instant();
    this.addressAt = now;
    this.subscribeAt = now;
    this.syncAt = now;
    this.heartbeatAt = now;
    this.replicasAt = now;
    this.replicas =
        new ReplicaRunner(
            settings.site(),
            engine,
            hub,
            this::drainedOnHub,
            () -> address,
            port -> address != null && bindable.test(address, port));
  }

  /**
   * Starts the worker. {@code onFatal} runs on it if the agent gives up (see {@link #fatal()}),
   * which happens only when it cannot tell its advertise address.
   */
  public void start(Runnable onFatal) {
    fence =
        Thread.ofPlatform()
            .daemon()
            .name("site-agent-fence-" + settings.site())
            .start(this::fenceLoop);
    worker =
        Thread.ofPlatform()
            .name("site-agent-" + settings.site())
            .start(
                () -> {
                  try {
                    work();
                  } catch (GiveUp e) {
                    fatal = e.getMessage();
                    LOG.error("the site agent stops: {}", e.getMessage());
                    onFatal.run();
                  }
                });
  }

  /** How often the fence looks at the primaries, apart from the worker (see fenceOverdue). */
  static final Duration FENCE_CHECK = Duration.ofMillis(500);

  private void fenceLoop() {
    while (true) {
      synchronized (lock) {
        if (stopped) {
          return;
        }
        try {
          lock.wait(FENCE_CHECK.toMillis());
        } catch (InterruptedException e) {
          return;
        }
        if (stopped) {
          return;
        }
      }
      try {
        replicas.fenceOverdue(clock.instant());
      } catch (DockerEngineException | RuntimeException e) {
        // The worker logs the engine's outages; the next check tries again.
        LOG.debug("fence check: {}", e.toString());
      }
    }
  }

  /** Why the agent gave up, empty while it runs or after an ordinary stop. */
  public Optional<String> fatal() {
    return Optional.ofNullable(fatal);
  }

  /**
   * Stops the worker and the event subscription. The Backends stay on the hub: the next agent of
   * this site adopts them without a write.
   */
  @Override
  public void close() {
    synchronized (lock) {
      stopped = true;
      current = null;
      lock.notifyAll();
    }
    if (fence != null) {
      fence.interrupt();
    }
    if (worker != null) {
      try {
        // A call in progress is bounded; waiting for it keeps a write from being cut in half.
        worker.join(HttpHubClient.CALL_TIMEOUT.plusSeconds(5).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (subscription != null) {
      subscription.close();
      subscription = null;
    }
  }

  private void work() {
    while (true) {
      Instant next;
      try {
        next = step();
      } catch (GiveUp e) {
        throw e;
      } catch (RuntimeException e) {
        // A bug in one turn must not end the agent: the next turn starts from the engine's list.
        LOG.error("a site agent turn failed: {}", e.toString(), e);
        actualKnown = false;
        next = clock.instant().plus(syncBackoff.next());
        syncAt = next;
      }
      if (!waitUntil(next)) {
        return;
      }
    }
  }

  /** Waits until {@code deadline} or an event; false once the agent is closed. */
  private boolean waitUntil(Instant deadline) {
    synchronized (lock) {
      while (!stopped && !dirty && !streamEnded) {
        long ms = Duration.between(clock.instant(), deadline).toMillis();
        if (ms <= 0) {
          break;
        }
        try {
          lock.wait(ms);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return !stopped;
    }
  }

  /**
   * One turn of the worker: renew the event subscription if due, sync if an event came or a sync is
   * due, heartbeat if due. Returns when the next turn is due (sooner if an event comes). Tests call
   * it directly, with a clock of their own.
   *
   * @throws GiveUp when the advertise address cannot be told
   */
  Instant step() {
    Instant now = clock.instant();
    boolean events;
    boolean ended;
    synchronized (lock) {
      events = dirty;
      ended = streamEnded;
      dirty = false;
      streamEnded = false;
    }
    clampDeadlines(now);
    if (address == null) {
      if (!now.isBefore(addressAt)) {
        resolveAddress(now);
      }
      if (address == null) {
        return addressAt;
      }
    }
    if (ended) {
      renewSubscriptionLater(now);
    }
    if (subscription == null && !now.isBefore(subscribeAt)) {
      events |= subscribe(now);
    }
    if (!now.isBefore(replicasAt)) {
      // The hub's assignment is read every interval; the engine is listed only when it changed
      // or a deadline of the replicas came.
      events |= replicas.refresh(now);
      // The pass of the sync below brings it forward to the replicas' next deadline, if sooner.
      replicasAt = now.plus(settings.interval());
    }
    if (events || !now.isBefore(syncAt)) {
      if (!now.isBefore(syncAt) && !now.isBefore(hubRetryAt)) {
        // The periodic full sync reads the hub's side again too (level-triggered on both ends): a
        // Backend removed or changed behind the agent's back is repaired within one resync.
        actualKnown = false;
      }
      sync(now);
    }
    if (!now.isBefore(heartbeatAt)) {
      heartbeat(now);
      heartbeatAt = now.plus(settings.interval());
    }
    Instant next = atMost(atMost(syncAt, heartbeatAt), replicasAt);
    return subscription == null && subscribeAt.isBefore(next) ? subscribeAt : next;
  }

  /**
   * After the clock stepped back, a deadline set before the step would be hours away: each is
   * brought back to at most one of its periods from now.
   */
  private void clampDeadlines(Instant now) {
    heartbeatAt = atMost(heartbeatAt, now.plus(settings.interval()));
    syncAt =
        atMost(
            syncAt,
            now.plus(
                settings.resync().compareTo(MAX_BACKOFF) > 0 ? settings.resync() : MAX_BACKOFF));
    subscribeAt = atMost(subscribeAt, now.plus(MAX_BACKOFF));
    addressAt = atMost(addressAt, now.plus(MAX_BACKOFF));
    hubRetryAt = atMost(hubRetryAt, now.plus(MAX_BACKOFF));
    replicasAt = atMost(replicasAt, now.plus(settings.interval()));
  }

  private static Instant atMost(Instant t, Instant bound) {
    return t.isAfter(bound) ? bound : t;
  }

  private void resolveAddress(Instant now) {
    String subnet;
    try {
      subnet = hub.subnet(settings.site());
      hubOutage.succeeded();
    } catch (HubException e) {
      hubOutage.failed(e.getMessage());
      addressAt = now.plus(addressBackoff.next());
      return;
    }
    try {
      address = AdvertiseAddress.pick(settings.site(), subnet, localAddresses.get());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new GiveUp(e.getMessage());
    }
    LOG.info(
        "site {}: advertising containers at {} (the one address of this host in {})",
        settings.site(),
        address,
        subnet);
  }

  // ---- the engine's events

  /** Subscribes; true when it did (the containers are then listed, as events may be missed). */
  private boolean subscribe(Instant now) {
    Listener listener = new Listener();
    synchronized (lock) {
      current = listener;
    }
    try {
      subscription = engine.events(listener);
    } catch (DockerEngineException e) {
      engineOutage.failed(e.getMessage());
      subscribeAt = now.plus(subscribeBackoff.next());
      return false;
    }
    subscribedAt = now;
    try {
      engineInfo = engine.info();
    } catch (DockerEngineException e) {
      // The facts of the last engine answer stay in the reports; the list below says the rest.
      LOG.debug("cannot read the engine's info: {}", e.getMessage());
    }
    return true;
  }

  private void renewSubscriptionLater(Instant now) {
    if (subscription == null) {
      return;
    }
    subscription.close();
    subscription = null;
    // A subscription that lasted is an ordinary end (an engine restart): the next one is tried
    // soon. One that ends as soon as it starts waits longer each time.
    if (subscribedAt != null && !now.isBefore(subscribedAt.plus(MAX_BACKOFF))) {
      subscribeBackoff.reset();
    }
    subscribeAt = now.plus(subscribeBackoff.next());
  }

  private void wake(Listener from, boolean end) {
    synchronized (lock) {
      if (from != current) {
        return; // an earlier subscription's last words
      }
      if (end) {
        streamEnded = true;
      } else {
        dirty = true;
      }
      lock.notifyAll();
    }
  }

  /** One subscription's listener: marks, never acts. */
  private final class Listener implements ContainerEventListener {
    @Override
    public void onEvent(ContainerEvent event) {
      if (event.action() == ContainerEvent.Action.KILL && stopping(event)) {
        stopMarks.put(event.containerId(), new StopMark(event.time(), clock.instant()));
      }
      wake(this, false);
    }

    @Override
    public void onEnd(End end) {
      if (end.reason() != End.Reason.CLOSED) {
        LOG.info("the Docker event stream ended: {}; subscribing again", end.describe());
        wake(this, true);
      }
    }
  }

  private static boolean stopping(ContainerEvent kill) {
    String signal = kill.attributes().get("signal");
    return signal == null || !NOT_STOPPING.contains(signal.strip().toUpperCase(Locale.ROOT));
  }

  // ---- the sync

  private void sync(Instant now) {
    List<DockerContainer> containers;
    try {
      containers = engine.containers();
      engineOutage.succeeded();
    } catch (DockerEngineException e) {
      engineOutage.failed(e.getMessage());
      retrySync(now);
      return;
    }
    // Before the plan: a replica it starts to retire is written drained in this same sync.
    replicas.pass(containers, now);
    replicasAt = atMost(replicasAt, replicas.dueAt());
    if (!actualKnown && now.isBefore(hubRetryAt)) {
      // An event during a hub outage: the report learns of it, the hub waits for its backoff.
      seen = seen(plan(containers, now));
      return;
    }
    if (!actualKnown && !listHub()) {
      seen = seen(plan(containers, now));
      retrySync(now);
      hubRetryAt = syncAt;
      return;
    }
    List<Entry> plan = plan(containers, now);
    boolean written = write(plan);
    seen = seen(plan);
    if (written) {
      syncBackoff.reset();
      syncAt = now.plus(settings.resync());
    } else {
      retrySync(now);
      hubRetryAt = syncAt;
    }
  }

  private void retrySync(Instant now) {
    syncAt = now.plus(syncBackoff.next());
  }

  private boolean listHub() {
    List<HubBackend> listed;
    try {
      listed = hub.backends();
      hubOutage.succeeded();
    } catch (HubException e) {
      hubOutage.failed(e.getMessage());
      return false;
    }
    actual.clear();
    for (HubBackend b : listed) {
      if (managedBy.equals(b.labels().get(ManagedBy.LABEL)) && b.spec() != null) {
        actual.put(b.name(), b.spec());
      }
    }
    actualKnown = true;
    return true;
  }

  /** What each labelled container calls for now, in name order. */
  private List<Entry> plan(List<DockerContainer> containers, Instant now) {
    Map<String, DockerContainer> byId = new HashMap<>();
    containers.forEach(c -> byId.put(c.id(), c));
    forgetStopMarks(byId, now);
    rejectionsLogged.retainAll(byId.keySet());
    List<DockerContainer> sorted = new ArrayList<>(containers);
    sorted.sort(Comparator.comparing(DockerContainer::name));
    Map<String, String> claimed = new HashMap<>();
    List<Entry> plan = new ArrayList<>();
    for (DockerContainer c : sorted) {
      switch (ContainerLabels.read(c.name(), c.labels())) {
        case ContainerLabels.Reading.NotManaged n -> {}
        case ContainerLabels.Reading.Rejected r -> {
          if (rejectionsLogged.add(c.id())) {
            LOG.warn("{}; the container is not registered", r.describe().replace("\n", "; "));
          }
          plan.add(new Entry(c, null, null, r.describe()));
        }
        case ContainerLabels.Reading.Registered r -> {
          String name = BackendNames.of(settings.site(), c.name());
          String owner = c.state() == DockerContainer.State.RUNNING ? claimed.get(name) : null;
          if (owner != null) {
            plan.add(
                new Entry(
                    c,
                    null,
                    null,
                    "its Backend name "
                        + name
                        + " is also that of container "
                        + owner
                        + "; rename one of them"));
            continue;
          }
          if (c.state() == DockerContainer.State.RUNNING) {
            claimed.put(name, c.name());
          }
          plan.add(
              new Entry(
                  c,
                  name,
                  wanted(c, name, r.registration().toSpec(settings.site(), address)),
                  null));
        }
      }
    }
    return plan;
  }

  /**
   * The Backend a registered container wants: itself when it serves; drained when it runs but is
   * being stopped, unhealthy or (after a restart) not yet healthy, and has a Backend to drain; none
   * otherwise.
   */
  private BackendSpec wanted(DockerContainer c, String name, BackendSpec spec) {
    if (c.state() != DockerContainer.State.RUNNING) {
      return null;
    }
    boolean stopping = stopMarks.containsKey(c.id()) || replicas.draining(c.id());
    if (c.serving() && !stopping) {
      return spec;
    }
    if (actual.containsKey(name)
        && (stopping
            || c.health() == HealthStatus.UNHEALTHY
            || c.health() == HealthStatus.STARTING)) {
      spec.drain = true;
      return spec;
    }
    return null;
  }

  /** Whether the hub holds the Backend of container {@code name} drained, or holds none. */
  private boolean drainedOnHub(String name) {
    BackendSpec spec = actual.get(BackendNames.of(settings.site(), name));
    return spec == null || spec.draining();
  }

  /** A kill mark lasts while its container runs the life it was killed in, up to a bound. */
  private void forgetStopMarks(Map<String, DockerContainer> byId, Instant now) {
    stopMarks
        .entrySet()
        .removeIf(
            e -> {
              DockerContainer c = byId.get(e.getKey());
              StopMark mark = e.getValue();
              if (c == null || c.state() != DockerContainer.State.RUNNING) {
                return true;
              }
              if (c.startedAt().filter(s -> s.isAfter(mark.eventTime())).isPresent()) {
                return true; // started again since
              }
              if (now.isAfter(mark.seenAt().plus(STOP_MARK_TTL))) {
                LOG.info(
                    "container {} still runs {} after it was sent its stop signal: serving it again",
                    c.name(),
                    STOP_MARK_TTL);
                return true;
              }
              return false;
            });
  }

  /** Writes the differences; false when the hub failed a call (the rest waits for a retry). */
  private boolean write(List<Entry> plan) {
    Map<String, Entry> desired = new LinkedHashMap<>();
    for (Entry e : plan) {
      if (e.spec() != null && refusal(e).isEmpty()) {
        desired.put(e.backend(), e);
      }
    }
    List<Entry> puts = new ArrayList<>();
    for (Entry e : desired.values()) {
      BackendSpec have = actual.get(e.backend());
      if (have == null || !normalized(have).equals(normalized(e.spec()))) {
        puts.add(e);
      }
    }
    // Drains first: they are the writes that keep requests from failing.
    puts.sort(Comparator.comparing((Entry e) -> !e.spec().draining()));
    for (Entry e : puts) {
      if (!put(e)) {
        return false;
      }
    }
    for (String name : List.copyOf(actual.keySet())) {
      if (!desired.containsKey(name) && !delete(name)) {
        return false;
      }
    }
    Set<String> containerIds = new HashSet<>();
    plan.forEach(e -> containerIds.add(e.container().id()));
    refused.values().removeIf(r -> !containerIds.contains(r.containerId()));
    return true;
  }

  /** Who manages the Backend, and for a Deployment replica whose it is and whether primary. */
  private Map<String, String> labels(DockerContainer c) {
    Map<String, String> labels = new java.util.TreeMap<>();
    labels.put(ManagedBy.LABEL, managedBy);
    ReplicaLabels.read(c.labels())
        .filter(o -> o.replica().equals(c.name()))
        .ifPresent(
            o -> {
              labels.put(ManagedBy.DEPLOYMENT, o.deployment());
              if (o.primary()) {
                labels.put(ManagedBy.PRIMARY, "true");
              }
            });
    return labels;
  }

  private boolean put(Entry e) {
    String name = e.backend();
    boolean existed = actual.containsKey(name);
    try {
      hub.putBackend(new HubBackend(name, labels(e.container()), e.spec()));
      hubOutage.succeeded();
    } catch (HubException x) {
      if (x.kind() == HubException.Kind.REFUSED) {
        refused.put(name, new Refusal(e.container().id(), undrained(e.spec()), refusalReason(x)));
        LOG.warn(
            "the hub refuses backend {} of container {}: {}; not sent again until the container"
                + " changes",
            name,
            e.container().name(),
            x.getMessage());
        return true;
      }
      return hubFailed(x);
    }
    actual.put(name, e.spec());
    refused.remove(name);
    LOG.info(
        "backend {} {} (container {}, {}:{})",
        name,
        e.spec().draining() ? "drained" : existed ? "updated" : "registered",
        e.container().name(),
        e.spec().address,
        e.spec().port);
    return true;
  }

  private boolean delete(String name) {
    try {
      hub.deleteBackend(name);
      hubOutage.succeeded();
    } catch (HubException x) {
      if (x.kind() != HubException.Kind.REFUSED) {
        return hubFailed(x);
      }
      // The hub says it is not this agent's to delete: it is not followed any more.
      LOG.warn("the hub refuses to delete backend {}: {}", name, x.getMessage());
    }
    actual.remove(name);
    LOG.info("backend {} removed (its container no longer runs)", name);
    return true;
  }

  private boolean hubFailed(HubException x) {
    hubOutage.failed(x.getMessage());
    // What the hub holds is unknown after a failed write: listed again before the next one.
    actualKnown = false;
    return false;
  }

  private static String refusalReason(HubException x) {
    return "the hub refused its Backend: " + x.getMessage();
  }

  private Optional<Refusal> refusal(Entry e) {
    Refusal r = refused.get(e.backend());
    return r != null
            && r.containerId().equals(e.container().id())
            && r.spec().equals(undrained(e.spec()))
        ? Optional.of(r)
        : Optional.empty();
  }

  /**
   * A spec as compared: defaults written out, so a Backend the hub returns with {@code weight: 1}
   * or {@code drain: false} equals the one the labels give without them.
   */
  static JsonNode normalized(BackendSpec spec) {
    ObjectNode n = HttpHubClient.JSON.valueToTree(spec);
    n.put("weight", spec.weightOrDefault());
    n.set("role", HttpHubClient.JSON.valueToTree(spec.roleOrDefault()));
    n.put("drain", spec.draining());
    if (n.path("healthCheck").isEmpty()) {
      n.remove("healthCheck");
    }
    return n;
  }

  private static JsonNode undrained(BackendSpec spec) {
    ObjectNode n = (ObjectNode) normalized(spec);
    n.put("drain", false);
    return n;
  }

  private List<ContainerSeen> seen(List<Entry> plan) {
    List<ContainerSeen> out = new ArrayList<>();
    for (Entry e : plan) {
      DockerContainer c = e.container();
      boolean registered =
          e.spec() != null && refusal(e).isEmpty() && actual.containsKey(e.backend());
      String problem =
          e.problem() != null ? e.problem() : refusal(e).map(Refusal::reason).orElse(null);
      out.add(
          new ContainerSeen(
              c.id(),
              c.name(),
              c.state().name().toLowerCase(Locale.ROOT),
              c.health().name().toLowerCase(Locale.ROOT),
              registered ? e.backend() : null,
              problem));
    }
    return out;
  }

  // ---- the heartbeat

  private void heartbeat(Instant now) {
    // Strictly increasing even when the clock steps back: the hub refuses an older one as a replay.
    Instant sentAt = now.truncatedTo(ChronoUnit.MILLIS);
    if (lastSentAt != null && !sentAt.isAfter(lastSentAt)) {
      sentAt = lastSentAt.plusMillis(1);
    }
    lastSentAt = sentAt;
    List<ContainerSeen> containers = seen;
    if (containers.size() > AgentReport.MAX_CONTAINERS) {
      throttle.occurred(
          "too-many",
          n ->
              LOG.warn(
                  "{} labelled containers; the heartbeat reports the first {}{}",
                  seen.size(),
                  AgentReport.MAX_CONTAINERS,
                  LogThrottle.more(n)));
      containers = containers.subList(0, AgentReport.MAX_CONTAINERS);
    }
    AgentReport report =
        new AgentReport(
            settings.agentVersion(),
            engineInfo == null ? null : engineInfo.version(),
            engineInfo == null ? null : engineInfo.hostName(),
            sentAt,
            settings.interval(),
            List.copyOf(containers),
            replicas.reports());
    try {
      hub.report(settings.site(), report);
    } catch (HubException e) {
      switch (e.kind()) {
        case REPLAY -> {
          // The hub accepted a later sentAt (another agent of this site, or this host's clock
          // stepped back across a restart): jump ahead, further each time, until it is passed.
          lastSentAt = sentAt.plus(replayJump);
          replayJump = replayJump.multipliedBy(2);
          throttle.occurred(
              "replay",
              n ->
                  LOG.warn(
                      "the hub refuses the heartbeat as a replay ({}); the next one is dated"
                          + " later{}",
                      e.getMessage(),
                      LogThrottle.more(n)));
        }
        case REFUSED ->
            throttle.occurred(
                "refused",
                n ->
                    LOG.warn(
                        "the hub refuses the heartbeat: {}{}",
                        e.getMessage(),
                        LogThrottle.more(n)));
        case UNAVAILABLE -> {
          hubOutage.failed(e.getMessage());
          heartbeatFailed = true;
        }
      }
      return;
    }
    replayJump = FIRST_BACKOFF;
    hubOutage.succeeded();
    if (heartbeatFailed && syncAt.isAfter(now)) {
      // The hub answers again after it did not answer at all: a sync that waits for its backoff
      // (up to 30 s) goes now. Not after a refused write alone, whose backoff must hold.
      syncAt = now;
      hubRetryAt = now;
    }
    heartbeatFailed = false;
  }
}
