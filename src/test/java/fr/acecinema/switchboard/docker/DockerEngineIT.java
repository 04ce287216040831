package fr.acecinema.switchboard.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.docker.ContainerEvent.Action;
import fr.acecinema.switchboard.docker.ContainerEventListener.End.Reason;
import fr.acecinema.switchboard.docker.RecordingListener.Received;
import fr.acecinema.switchboard.testbed.DockerSite;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DockerJavaEngine} against a real Docker engine running in a site's network namespace
 * ({@link DockerSite}). Prints the engine's start time, the image import time and the latencies
 * from {@code docker run} to the container running and to its events, without asserting on them.
 */
class DockerEngineIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Map<String, String> API_LABELS =
      Map.of(ContainerLabels.SERVICE, "api", ContainerLabels.PORT, "18081");

  private static DockerSite site;
  private static DockerJavaEngine engine;

  @BeforeAll
  static void up() {
    DockerSite.requireRoot();
    site = DockerSite.start();
    report("dockerd start (launch to API answering)", site.engineStartTime());
    report("image import (both tags)", site.importImages());
    engine = new DockerJavaEngine(site.socket());
  }

  @AfterAll
  static void down() {
    if (engine != null) {
      engine.close();
    }
    if (site != null) {
      site.close();
    }
  }

  private static void report(String what, Duration d) {
    System.out.printf("[DockerEngineIT] %-48s %6d ms%n", what, d.toMillis());
  }

  private static void report(String what, long fromNanos, long toNanos) {
    report(what, Duration.ofNanos(toNanos - fromNanos));
  }

  private static Received awaitEvent(RecordingListener events, Action action, String name) {
    await().atMost(WAIT).until(() -> events.first(action, name).isPresent());
    return events.first(action, name).orElseThrow();
  }

  private static Received awaitHealth(RecordingListener events, String name, HealthStatus status) {
    await().atMost(WAIT).until(() -> events.firstHealth(name, status).isPresent());
    return events.firstHealth(name, status).orElseThrow();
  }

  private static Optional<DockerContainer> listed(String name) throws DockerEngineException {
    return engine.containers().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  @Test
  void infoReportsTheEngineVersionApiAndHost() throws Exception {
    EngineInfo info = engine.info();

    System.out.println("[DockerEngineIT] " + info);
    assertThat(info.version()).matches("[0-9]+\\.[0-9]+\\..*");
    assertThat(info.apiVersion()).matches("1\\.[0-9]+");
    assertThat(info.hostName()).isNotBlank();
  }

  @Test
  void aLabelledContainerIsListedWithItsLabelsRunsAndServesInsideTheSite() throws Exception {
    RecordingListener events = new RecordingListener();
    try (DockerEngine.Subscription ignored = engine.events(events)) {
      long t0 = System.nanoTime();
      String id = site.run("web-listed", DockerSite.IMAGE, 18081, API_LABELS);
      long ran = System.nanoTime();

      AtomicReference<DockerContainer> running = new AtomicReference<>();
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                Optional<DockerContainer> c = listed("web-listed");
                c.ifPresent(running::set);
                return c.map(x -> x.state() == DockerContainer.State.RUNNING).orElse(false);
              });
      long seenRunning = System.nanoTime();
      Received start = awaitEvent(events, Action.START, "web-listed");

      DockerContainer c = running.get();
      assertThat(c.id()).isEqualTo(id);
      assertThat(c.labels()).containsAllEntriesOf(API_LABELS);
      assertThat(c.health()).isEqualTo(HealthStatus.NONE);
      assertThat(c.serving()).isTrue();
      assertThat(c.startedAt()).isPresent();
      assertThat(start.event().containerId()).isEqualTo(id);
      assertThat(start.event().attributes()).containsAllEntriesOf(API_LABELS);
      assertThat(ContainerLabels.read(c.name(), c.labels()))
          .isInstanceOfSatisfying(
              ContainerLabels.Reading.Registered.class,
              r -> assertThat(r.registration().port()).isEqualTo(18081));
      // busybox httpd in the container listens on the site's loopback (--network host).
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(site.fetch(18081, "/health").output()).isEqualTo("ok\n"));

      report("docker run (CLI, create + start)", t0, ran);
      report("docker run -> listed as running", t0, seenRunning);
      report("docker run -> start event delivered", t0, start.nanos());
      report(
          "start event: engine time -> delivered",
          Duration.between(start.event().time(), start.at()));
    } finally {
      site.remove("web-listed");
    }
  }

  @Test
  void theSubscriptionSeesAContainerStartKillDieStopAndDestroy() throws Exception {
    RecordingListener events = new RecordingListener();
    try (DockerEngine.Subscription ignored = engine.events(events)) {
      long t0 = System.nanoTime();
      String id = site.run("web-events", DockerSite.IMAGE, 18082, API_LABELS);
      long startSeen = awaitEvent(events, Action.START, "web-events").nanos();

      long stopAsked = System.nanoTime();
      site.stop("web-events");
      Received kill = awaitEvent(events, Action.KILL, "web-events");
      Received die = awaitEvent(events, Action.DIE, "web-events");
      Received stop = awaitEvent(events, Action.STOP, "web-events");
      site.remove("web-events");
      awaitEvent(events, Action.DESTROY, "web-events");

      assertThat(events.events())
          .filteredOn(e -> e.containerId().equals(id))
          .extracting(ContainerEvent::action)
          .containsSubsequence(Action.START, Action.KILL, Action.DIE, Action.STOP, Action.DESTROY);
      assertThat(die.event().attributes()).containsKey("exitCode");
      // docker stop's stop signal, SIGTERM: the agent drains on it while the container finishes.
      assertThat(kill.event().attributes()).containsEntry("signal", "15");
      report("docker stop -> kill event", stopAsked, kill.nanos());
      report("docker run -> start event", t0, startSeen);
      report("docker stop -> die event (1 s stop timeout)", stopAsked, die.nanos());
      report("docker stop -> stop event", stopAsked, stop.nanos());
    } finally {
      removeQuietly("web-events");
    }
    assertThat(listed("web-events")).isEmpty();
  }

  @Test
  void aContainerWithAHealthcheckReportsItsHealthTransitions() throws Exception {
    RecordingListener events = new RecordingListener();
    try (DockerEngine.Subscription ignored = engine.events(events)) {
      long t0 = System.nanoTime();
      site.run("web-health", DockerSite.IMAGE_WITH_HEALTHCHECK, 18083, API_LABELS);
      long healthy = awaitHealth(events, "web-health", HealthStatus.HEALTHY).nanos();
      DockerContainer c = listed("web-health").orElseThrow();
      assertThat(c.health()).isEqualTo(HealthStatus.HEALTHY);
      assertThat(c.serving()).isTrue();

      // The health file goes away: the next check (every 1 s, 1 retry) fails.
      long broken = System.nanoTime();
      site.exec("web-health", "rm", "/www/health");
      long unhealthy = awaitHealth(events, "web-health", HealthStatus.UNHEALTHY).nanos();
      DockerContainer sick = listed("web-health").orElseThrow();
      assertThat(sick.health()).isEqualTo(HealthStatus.UNHEALTHY);
      assertThat(sick.state()).isEqualTo(DockerContainer.State.RUNNING);
      assertThat(sick.serving()).isFalse();

      report("docker run -> healthy event (1 s interval)", t0, healthy);
      report("health file removed -> unhealthy event", broken, unhealthy);
    } finally {
      removeQuietly("web-health");
    }
  }

  @Test
  void aReplicaIsCreatedOnTheBridgeStartedStoppedWithAKillAfterItsTimeoutAndRemoved()
      throws Exception {
    Map<String, String> labels = ReplicaLabels.of("api", "api-r1-1", 1, true, "api", 30084);
    try {
      assertThat(engine.imageExists(DockerSite.IMAGE)).isTrue();
      String id =
          engine.create(
              new ContainerSpec(
                  "api-r1-1",
                  DockerSite.IMAGE,
                  Map.of("PORT", "18084", "ROLE", "cron"),
                  labels,
                  "127.0.0.1",
                  30084,
                  18084));

      DockerContainer created = listed("api-r1-1").orElseThrow();
      assertThat(created.id()).isEqualTo(id);
      assertThat(created.state()).isEqualTo(DockerContainer.State.CREATED);
      assertThat(created.labels()).containsAllEntriesOf(labels);
      assertThat(ReplicaLabels.read(created.labels()))
          .contains(new ReplicaLabels.Owner("api", "api-r1-1", true));
      assertThat(ContainerLabels.read(created.name(), created.labels()))
          .isInstanceOf(ContainerLabels.Reading.Registered.class);
      assertThat(
              site.inspect(
                  "api-r1-1", "{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}"))
          .isIn("switchboard no", "switchboard"); // "" is the engine's "no"

      long t0 = System.nanoTime();
      engine.start("api-r1-1");
      engine.start("api-r1-1"); // already running: not an error
      assertThat(listed("api-r1-1").orElseThrow().state()).isEqualTo(DockerContainer.State.RUNNING);
      // It listens on 18084 in its own namespace; the engine publishes that on the site's 30084.
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(site.fetch(30084, "/health").output()).isEqualTo("ok\n"));
      report("create + start -> serving", t0, System.nanoTime());
      // A second replica of the same image, same container port, shares the site.
      engine.create(
          new ContainerSpec(
              "api-r1-9",
              DockerSite.IMAGE,
              Map.of("PORT", "18084"),
              ReplicaLabels.of("api", "api-r1-9", 1, false, "api", 30085),
              "127.0.0.1",
              30085,
              18084));
      engine.start("api-r1-9");
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(site.fetch(30085, "/health").output()).isEqualTo("ok\n"));
      assertThat(site.fetch(30084, "/health").output()).isEqualTo("ok\n");
      engine.stop("api-r1-9", Duration.ZERO);
      engine.remove("api-r1-9");

      // busybox httpd as pid 1 ignores SIGTERM: only the kill after the timeout stops it.
      long stopAsked = System.nanoTime();
      engine.stop("api-r1-1", Duration.ofSeconds(1));
      long stopped = System.nanoTime();
      DockerContainer exited = listed("api-r1-1").orElseThrow();
      assertThat(exited.state()).isEqualTo(DockerContainer.State.EXITED);
      assertThat(exited.exitCode()).isEqualTo(137);
      assertThat(Duration.ofNanos(stopped - stopAsked))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      engine.stop("api-r1-1", Duration.ofSeconds(1)); // already stopped: not an error
      report("stop (1 s timeout, SIGTERM ignored)", stopAsked, stopped);

      engine.remove("api-r1-1");
      assertThat(listed("api-r1-1")).isEmpty();
      engine.remove("api-r1-1"); // already gone: not an error
    } finally {
      removeQuietly("api-r1-1");
      removeQuietly("api-r1-9");
    }
  }

  private static ContainerSpec spec(String name, String image) {
    return new ContainerSpec(name, image, Map.of(), Map.of(), "127.0.0.1", 30090, 8080);
  }

  @Test
  void creatingFromAMissingImageOrUnderATakenNameFailsSayingWhich() throws Exception {
    assertThat(engine.imageExists("local/absent:9")).isFalse();
    assertThatThrownBy(() -> engine.create(spec("api-r1-2", "local/absent:9")))
        .isInstanceOf(DockerEngineException.class)
        .hasMessageContaining("image local/absent:9 is not on the Docker engine");
    assertThat(listed("api-r1-2")).isEmpty();

    try {
      engine.create(spec("api-r1-3", DockerSite.IMAGE));
      assertThatThrownBy(() -> engine.create(spec("api-r1-3", DockerSite.IMAGE)))
          .isInstanceOf(DockerEngineException.class)
          .hasMessageContaining("the name api-r1-3 is taken by another container");
      assertThatThrownBy(() -> engine.start("api-r1-missing"))
          .isInstanceOf(DockerEngineException.class)
          .hasMessageContaining("start container api-r1-missing");
    } finally {
      removeQuietly("api-r1-3");
    }
  }

  @Test
  void closingASubscriptionTellsTheListenerOnce() throws Exception {
    RecordingListener events = new RecordingListener();
    DockerEngine.Subscription sub = engine.events(events);

    sub.close();
    sub.close();

    await().atMost(WAIT).until(() -> events.end().isPresent());
    assertThat(events.end().orElseThrow().reason()).isEqualTo(Reason.CLOSED);
    assertThat(events.ends()).isEqualTo(1);
  }

  @Test
  void theEngineStoppingEndsTheSubscriptionAndTheListenerIsTold() throws Exception {
    // An engine of its own: the shared one serves the other tests.
    try (DockerSite stopping = DockerSite.start();
        DockerJavaEngine client = new DockerJavaEngine(stopping.socket())) {
      RecordingListener events = new RecordingListener();
      DockerEngine.Subscription sub = client.events(events);

      long t0 = System.nanoTime();
      stopping.stopEngine();
      await().atMost(WAIT).until(() -> events.end().isPresent());
      long told = System.nanoTime();

      ContainerEventListener.End end = events.end().orElseThrow();
      System.out.println("[DockerEngineIT] engine stopped, subscription ended: " + end.describe());
      assertThat(end.reason()).isIn(Reason.ENGINE_ENDED, Reason.FAILED);
      sub.close();
      assertThat(events.ends()).isEqualTo(1);
      assertThatThrownBy(client::info).isInstanceOf(DockerEngineException.class);
      assertThatThrownBy(() -> client.events(new RecordingListener()))
          .isInstanceOf(DockerEngineException.class);
      report("SIGTERM to dockerd -> listener told", t0, told);
    }
  }

  private static void removeQuietly(String name) {
    try {
      site.remove(name);
    } catch (RuntimeException alreadyGone) {
      // removed by the test itself
    }
  }
}
