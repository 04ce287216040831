package fr.acecinema.switchboard.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.HealthState;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DockerEngine} over the Docker Engine API on a unix socket, with docker-java 3.7 ({@code
 * docker-java-core}) and its {@code docker-java-transport-zerodep} transport.
 *
 * <p>Why zerodep rather than {@code docker-java-transport-httpclient5}: both are Apache HttpClient
 * 5 underneath and both speak unix sockets (docker-java's {@code UnixSocket} is a JDK {@code
 * SocketChannel} on a {@code UnixDomainSocketAddress}: no JNA, no native code). zerodep ships that
 * HttpClient shaded into its own package and has no dependencies of its own, so Switchboard's
 * single jar gets no second HTTP stack on its classpath whose version could clash with another
 * library's; the httpclient5 transport would add httpclient5 and httpcore5 as ordinary dependencies
 * for no gain here. (OkHttp, which Switchboard uses for probes, has no docker-java transport in
 * 3.7.) docker-java itself rather than hand-written HTTP: the Engine API's JSON models, its
 * multiplexed event stream and its error mapping are kept up by a maintained project.
 *
 * <p>Timeouts: connecting is bounded by {@link #CONNECT_TIMEOUT}, every request's reads by {@link
 * #RESPONSE_TIMEOUT}. The event stream runs on a client of its own without a read timeout (an
 * engine with nothing happening sends nothing for hours); it ends when the engine closes it or the
 * connection breaks, and a hung engine is caught by the site agent's periodic full list, which does
 * time out.
 */
public final class DockerJavaEngine implements DockerEngine {
  /** How long connecting to the socket may take. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  /** How long the engine may stay silent while answering one request. */
  public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);

  /** How long {@link #events} waits for the engine to accept a subscription. */
  public static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(DockerJavaEngine.class);

  // Docker reports a container that never started with the zero time of Go.
  private static final Instant NEVER = Instant.parse("0001-01-01T00:00:00Z");

  private final Path socket;
  private final DockerHttpClient requestHttp;
  private final DockerHttpClient stopHttp;
  private final DockerHttpClient streamHttp;
  private final DockerClient requests;
  private final DockerClient stops;
  private final DockerClient streams;
  private final Set<EventSubscription> open = ConcurrentHashMap.newKeySet();

  /**
   * A client of the engine listening on {@code socket}, e.g. {@code /var/run/docker.sock}. Nothing
   * is connected yet: an engine that is not running is reported by the calls, so an agent can start
   * before its engine.
   */
  public DockerJavaEngine(Path socket) {
    this.socket = socket.toAbsolutePath();
    URI host = URI.create("unix://" + this.socket);
    DefaultDockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder()
            .withDockerHost(host.toString())
            .withDockerTlsVerify(false)
            .build();
    this.requestHttp =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(host)
            .connectionTimeout(CONNECT_TIMEOUT)
            .responseTimeout(RESPONSE_TIMEOUT)
            .maxConnections(4)
            .build();
    // A stop answers only once the container exited, up to its timeout and the kill after it.
    this.stopHttp =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(host)
            .connectionTimeout(CONNECT_TIMEOUT)
            .responseTimeout(MAX_STOP_TIMEOUT.plus(RESPONSE_TIMEOUT))
            .maxConnections(2)
            .build();
    this.streamHttp =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(host)
            .connectionTimeout(CONNECT_TIMEOUT)
            .maxConnections(4)
            .build();
    this.requests = DockerClientImpl.getInstance(config, requestHttp);
    this.stops = DockerClientImpl.getInstance(config, stopHttp);
    this.streams = DockerClientImpl.getInstance(config, streamHttp);
  }

  /** The socket this client talks to. */
  public Path socket() {
    return socket;
  }

  @Override
  public EngineInfo info() throws DockerEngineException {
    Info info = call("read the engine's info", () -> requests.infoCmd().exec());
    String api =
        call("read the engine's version", () -> requests.versionCmd().exec()).getApiVersion();
    return new EngineInfo(info.getServerVersion(), api, info.getName());
  }

  @Override
  public List<DockerContainer> containers() throws DockerEngineException {
    List<Container> listed =
        call("list containers", () -> requests.listContainersCmd().withShowAll(true).exec());
    List<DockerContainer> out = new ArrayList<>(listed.size());
    for (Container c : listed) {
      // The list has no start time and only a human health text ("Up 3s (healthy)"): inspect.
      Optional<InspectContainerResponse> inspected = inspect(c.getId());
      inspected.map(DockerJavaEngine::container).ifPresent(out::add);
    }
    return out;
  }

  private Optional<InspectContainerResponse> inspect(String id) throws DockerEngineException {
    try {
      return Optional.of(
          call("inspect container " + id, () -> requests.inspectContainerCmd(id).exec()));
    } catch (DockerEngineException e) {
      if (e.getCause() instanceof NotFoundException) {
        return Optional.empty(); // removed between the list and the inspect
      }
      throw e;
    }
  }

  static DockerContainer container(InspectContainerResponse r) {
    InspectContainerResponse.ContainerState s = r.getState();
    Map<String, String> labels =
        r.getConfig() == null || r.getConfig().getLabels() == null
            ? Map.of()
            : r.getConfig().getLabels();
    HealthState health = s == null ? null : s.getHealth();
    return new DockerContainer(
        r.getId(),
        stripSlash(r.getName()),
        labels,
        DockerContainer.State.parse(s == null ? null : s.getStatus()),
        HealthStatus.parse(health == null ? null : health.getStatus()),
        startedAt(s == null ? null : s.getStartedAt()),
        s == null || s.getExitCodeLong() == null ? 0 : s.getExitCodeLong().intValue());
  }

  private static Optional<Instant> startedAt(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      Instant t = Instant.parse(text);
      return t.equals(NEVER) ? Optional.empty() : Optional.of(t);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static String stripSlash(String name) {
    return name != null && name.startsWith("/") ? name.substring(1) : String.valueOf(name);
  }

  @Override
  public boolean imageExists(String image) throws DockerEngineException {
    try {
      call("inspect image " + image, () -> requests.inspectImageCmd(image).exec());
      return true;
    } catch (DockerEngineException e) {
      if (e.getCause() instanceof NotFoundException) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public String create(ContainerSpec spec) throws DockerEngineException {
    String what = "create container " + spec.name();
    requireSocket(what);
    ensureNetwork();
    ExposedPort port = ExposedPort.tcp(spec.containerPort());
    try {
      return requests
          .createContainerCmd(spec.image())
          .withName(spec.name())
          .withEnv(spec.envList())
          .withLabels(spec.labels())
          .withExposedPorts(port)
          .withHostConfig(
              HostConfig.newHostConfig()
                  .withNetworkMode(ContainerSpec.NETWORK)
                  .withPortBindings(
                      new PortBinding(
                          Ports.Binding.bindIpAndPort(spec.hostAddress(), spec.hostPort()), port))
                  .withRestartPolicy(RestartPolicy.noRestart()))
          .exec()
          .getId();
    } catch (NotFoundException e) {
      throw new DockerEngineException(
          "cannot "
              + what
              + ": image "
              + spec.image()
              + " is not on the Docker engine at "
              + socket
              + " (sites pull nothing: load or import it there)",
          e);
    } catch (ConflictException e) {
      throw new DockerEngineException(
          "cannot "
              + what
              + ": the name "
              + spec.name()
              + " is taken by another container on the Docker engine at "
              + socket,
          e);
    } catch (RuntimeException e) {
      throw failure(what, e);
    }
  }

  /**
   * Creates the replicas' bridge network when the engine lacks it. Checked at every create (creates
   * are rare): a network removed by hand is made again rather than taken for a missing image. One
   * that exists, made by anyone, is used as it is.
   */
  private void ensureNetwork() throws DockerEngineException {
    String what = "create network " + ContainerSpec.NETWORK;
    try {
      boolean exists =
          requests.listNetworksCmd().withNameFilter(ContainerSpec.NETWORK).exec().stream()
              .anyMatch(n -> ContainerSpec.NETWORK.equals(n.getName()));
      if (!exists) {
        requests
            .createNetworkCmd()
            .withName(ContainerSpec.NETWORK)
            .withDriver("bridge")
            .withLabels(java.util.Map.of(ReplicaLabels.PREFIX + "network", "replicas"))
            .exec();
      }
    } catch (ConflictException e) {
      // created meanwhile by another call
    } catch (RuntimeException e) {
      throw failure(what, e);
    }
  }

  @Override
  public void start(String container) throws DockerEngineException {
    unlessUnchanged("start container " + container, () -> requests.startContainerCmd(container));
  }

  @Override
  public void stop(String container, Duration timeout) throws DockerEngineException {
    if (timeout.isNegative() || timeout.compareTo(MAX_STOP_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "a stop timeout is between 0 and " + MAX_STOP_TIMEOUT.toSeconds() + " s: " + timeout);
    }
    unlessUnchanged(
        "stop container " + container,
        () -> stops.stopContainerCmd(container).withTimeout((int) timeout.toSeconds()));
  }

  @Override
  public void remove(String container) throws DockerEngineException {
    try {
      call("remove container " + container, () -> requests.removeContainerCmd(container).exec());
    } catch (DockerEngineException e) {
      if (!(e.getCause() instanceof NotFoundException)) {
        throw e;
      }
    }
  }

  /** Runs a command whose 304 (already started, already stopped) is a success. */
  private void unlessUnchanged(
      String what, Supplier<? extends com.github.dockerjava.api.command.SyncDockerCmd<Void>> cmd)
      throws DockerEngineException {
    try {
      call(what, () -> cmd.get().exec());
    } catch (DockerEngineException e) {
      if (!(e.getCause() instanceof NotModifiedException)) {
        throw e;
      }
    }
  }

  @Override
  public Subscription events(ContainerEventListener listener) throws DockerEngineException {
    requireSocket("subscribe to events");
    EventSubscription sub = new EventSubscription(listener);
    try {
      streams
          .eventsCmd()
          .withEventTypeFilter(EventType.CONTAINER)
          .withEventFilter(
              Arrays.stream(ContainerEvent.Action.values())
                  .map(ContainerEvent.Action::word)
                  .toArray(String[]::new))
          .exec(sub);
    } catch (RuntimeException e) {
      throw failure("subscribe to events", e);
    }
    sub.awaitStarted();
    open.add(sub);
    return sub;
  }

  @Override
  public void close() {
    List.copyOf(open).forEach(EventSubscription::close);
    for (Closeable c : List.of(requests, stops, streams, requestHttp, stopHttp, streamHttp)) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("closing the Docker client of {}: {}", socket, e.toString());
      }
    }
  }

  private <T> T call(String what, Supplier<T> request) throws DockerEngineException {
    requireSocket(what);
    try {
      return request.get();
    } catch (RuntimeException e) {
      throw failure(what, e);
    }
  }

  private void requireSocket(String what) throws DockerEngineException {
    // Checked first because the transport's error for a missing socket names neither the path nor
    // the likely cause.
    if (!Files.exists(socket)) {
      throw new DockerEngineException(
          "cannot "
              + what
              + ": no Docker socket at "
              + socket
              + " (is dockerd running? is --docker-socket right?)");
    }
  }

  private DockerEngineException failure(String what, RuntimeException e) {
    return new DockerEngineException(
        "cannot " + what + " on the Docker engine at " + socket + ": " + rootMessage(e), e);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t + ")";
  }

  static Optional<ContainerEvent> event(Event e) {
    String action = e.getAction() != null ? e.getAction() : e.getStatus();
    Optional<ContainerEvent.Action> a = ContainerEvent.Action.parse(action);
    if (a.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> attributes =
        e.getActor() == null || e.getActor().getAttributes() == null
            ? Map.of()
            : e.getActor().getAttributes();
    String id =
        e.getActor() != null && e.getActor().getId() != null ? e.getActor().getId() : e.getId();
    HealthStatus health =
        a.get() == ContainerEvent.Action.HEALTH_STATUS && action.indexOf(':') > 0
            ? HealthStatus.parse(action.substring(action.indexOf(':') + 1))
            : HealthStatus.NONE;
    Instant time =
        e.getTimeNano() != null
            ? Instant.ofEpochSecond(0, e.getTimeNano())
            : Instant.ofEpochSecond(e.getTime() == null ? 0 : e.getTime());
    return Optional.of(
        new ContainerEvent(
            a.get(), id, attributes.getOrDefault("name", ""), health, time, attributes));
  }

  /** One event stream: docker-java's callback, turned into the listener's calls. */
  private final class EventSubscription implements ResultCallback<Event>, Subscription {
    private final ContainerEventListener listener;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Closeable> stream = new AtomicReference<>();
    private final AtomicReference<Throwable> failedEarly = new AtomicReference<>();
    private final AtomicBoolean closedByCaller = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean delivering;

    EventSubscription(ContainerEventListener listener) {
      this.listener = listener;
    }

    void awaitStarted() throws DockerEngineException {
      try {
        if (!started.await(SUBSCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          abandon();
          throw new DockerEngineException(
              "the Docker engine at "
                  + socket
                  + " did not accept an event subscription within "
                  + SUBSCRIBE_TIMEOUT.toSeconds()
                  + " s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abandon();
        throw new DockerEngineException("interrupted while subscribing to Docker events", e);
      }
      Throwable early = failedEarly.get();
      if (early != null) {
        throw new DockerEngineException(
            "cannot subscribe to events on the Docker engine at "
                + socket
                + ": "
                + rootMessage(early),
            early);
      }
    }

    // events() gives up: a stream that starts later is closed by onStart, and nobody is told.
    private void abandon() {
      ended.set(true);
      closedByCaller.set(true);
      closeQuietly();
    }

    @Override
    public void onStart(Closeable closeable) {
      stream.set(closeable);
      delivering = true;
      started.countDown();
      if (closedByCaller.get()) {
        closeQuietly(); // closed while the request was on its way
      }
    }

    @Override
    public void onNext(Event e) {
      Optional<ContainerEvent> event = event(e);
      if (event.isEmpty() || closedByCaller.get()) {
        return;
      }
      try {
        listener.onEvent(event.get());
      } catch (RuntimeException ex) {
        LOG.warn("a Docker event listener failed on {}: {}", event.get(), ex.toString(), ex);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!delivering) {
        // Refused before the stream started: events() throws, the listener is not told.
        failedEarly.set(t);
        ended.set(true);
        started.countDown();
        return;
      }
      end(
          closedByCaller.get()
              ? new ContainerEventListener.End(ContainerEventListener.End.Reason.CLOSED, null)
              : new ContainerEventListener.End(ContainerEventListener.End.Reason.FAILED, t));
    }

    @Override
    public void onComplete() {
      end(
          new ContainerEventListener.End(
              closedByCaller.get()
                  ? ContainerEventListener.End.Reason.CLOSED
                  : ContainerEventListener.End.Reason.ENGINE_ENDED,
              null));
    }

    private void end(ContainerEventListener.End end) {
      open.remove(this);
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      try {
        listener.onEnd(end);
      } catch (RuntimeException ex) {
        LOG.warn("a Docker event listener failed on the end of its stream: {}", ex.toString(), ex);
      }
    }

    @Override
    public void close() {
      if (!closedByCaller.compareAndSet(false, true)) {
        return;
      }
      closeQuietly();
      if (delivering) {
        // The stream thread may be blocked in a read that closing does not interrupt at once: the
        // caller is told now, and the thread's own onError or onComplete is then ignored.
        end(new ContainerEventListener.End(ContainerEventListener.End.Reason.CLOSED, null));
      }
    }

    private void closeQuietly() {
      Closeable c = stream.get();
      if (c == null) {
        return;
      }
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("closing a Docker event stream: {}", e.toString());
      }
    }
  }
}
