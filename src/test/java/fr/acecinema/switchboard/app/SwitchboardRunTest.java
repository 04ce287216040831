package fr.acecinema.switchboard.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.config.EnvDefaults;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.operator.ProcessConditions;
import fr.acecinema.switchboard.operator.Readiness;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class SwitchboardRunTest {
  @Command
  static class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  /** A control plane that becomes ready on demand and counts its shutdowns. */
  static class FakeOperator implements Switchboard.Launcher, Running {
    final AtomicBoolean ready = new AtomicBoolean();
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public Running start(SwitchboardConfig config) {
      return this;
    }

    @Override
    public Readiness readiness() {
      return Readiness.of(ready.get());
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  private final HttpClient http = HttpClient.newHttpClient();

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** {@link Switchboard#run} on another thread; -1 when interrupted. */
  private static CompletableFuture<Integer> runAsync(
      SwitchboardConfig config, Switchboard.Launcher operator, CountDownLatch stop) {
    return runAsync(config, operator, stop, new CountDownLatch(1));
  }

  private static CompletableFuture<Integer> runAsync(
      SwitchboardConfig config,
      Switchboard.Launcher operator,
      CountDownLatch stop,
      CountDownLatch hurry) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return Switchboard.run(config, operator, stop, hurry);
          } catch (InterruptedException e) {
            return -1;
          }
        });
  }

  @Test
  void servesHealthUntilStoppedThenClosesTheOperatorAndExitsZero() throws Exception {
    int port = freePort();
    Holder holder = new Holder();
    new CommandLine(holder)
        .setDefaultValueProvider(
            new EnvDefaults(Map.of("SWITCHBOARD_LISTEN", "127.0.0.1:" + port)::get))
        .parseArgs();
    FakeOperator operator = new FakeOperator();
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = runAsync(holder.config, operator, stop);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(port, "/healthz") == 200);
    assertThat(status(port, "/readyz")).isEqualTo(503);
    operator.ready.set(true);
    assertThat(status(port, "/readyz")).isEqualTo(200);
    assertThat(exit).isNotDone();

    stop.countDown();
    assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(operator.closed).hasValue(1);
    assertThat(status(port, "/healthz")).isEqualTo(-1);
  }

  @Test
  void failsWithOneWhenTheOperatorCannotStart() throws Exception {
    Holder holder = new Holder();
    new CommandLine(holder).parseArgs("--listen", "127.0.0.1:0");
    int code =
        Switchboard.run(
            holder.config,
            config -> {
              throw new IllegalStateException("caddy admin unreachable");
            },
            new CountDownLatch(1),
            new CountDownLatch(1));
    assertThat(code).isEqualTo(1);
  }

  @Test
  void closesTheOperatorWhenTheListenAddressIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Holder holder = new Holder();
      new CommandLine(holder).parseArgs("--listen", "127.0.0.1:" + taken.getLocalPort());
      FakeOperator operator = new FakeOperator();
      assertThat(
              Switchboard.run(
                  holder.config, operator, new CountDownLatch(1), new CountDownLatch(1)))
          .isEqualTo(1);
      assertThat(operator.closed).hasValue(1);
    }
  }

  @Test
  void readyzListsTheOperatorsConditionsAndStays200WhileRecordsAreBehind() throws Exception {
    int port = freePort();
    Holder holder = new Holder();
    new CommandLine(holder).parseArgs("--listen", "127.0.0.1:" + port);
    Condition records =
        new Condition("RecordsSynced", Condition.FALSE, "DatabaseUnavailable", "refused");
    FakeOperator operator =
        new FakeOperator() {
          @Override
          public Readiness readiness() {
            return new Readiness(true, List.of(ProcessConditions.ready(true, false), records));
          }
        };
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = runAsync(holder.config, operator, stop);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> status(port, "/readyz") == 200);
      String body =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(body)
          .contains("\"status\":\"ready\"")
          .contains("\"type\":\"RecordsSynced\",\"status\":\"False\"")
          .contains("\"reason\":\"DatabaseUnavailable\"");
    } finally {
      stop.countDown();
    }
    assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void readyzAnswers503DuringTheShutdownGraceWhileHealthzStillAnswersThenThePortCloses()
      throws Exception {
    int port = freePort();
    Holder holder = new Holder();
    new CommandLine(holder)
        .parseArgs("--listen", "127.0.0.1:" + port, "--shutdown-grace", "2500ms");
    assertThat(holder.config.shutdownGrace()).isEqualTo(Duration.ofMillis(2500));
    FakeOperator operator = new FakeOperator();
    operator.ready.set(true);
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = runAsync(holder.config, operator, stop);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(port, "/readyz") == 200);

    long stopped = System.nanoTime();
    stop.countDown();
    await().atMost(Duration.ofSeconds(1)).until(() -> status(port, "/readyz") == 503);
    HttpResponse<String> readyz =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(readyz.statusCode()).isEqualTo(503);
    assertThat(readyz.body())
        .contains("\"type\":\"Ready\",\"status\":\"False\"")
        .contains("\"reason\":\"Stopping\"");
    assertThat(status(port, "/healthz")).isEqualTo(200);
    assertThat(operator.closed).as("the operator runs on during the grace").hasValue(0);

    assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - stopped))
        .isGreaterThanOrEqualTo(Duration.ofMillis(2500));
    assertThat(operator.closed).hasValue(1);
    assertThat(status(port, "/healthz")).isEqualTo(-1);
  }

  @Test
  void aSecondSignalCutsTheGraceShortAndZeroClosesAtOnce() throws Exception {
    for (String grace : List.of("5m", "0s")) {
      int port = freePort();
      Holder holder = new Holder();
      new CommandLine(holder).parseArgs("--listen", "127.0.0.1:" + port, "--shutdown-grace", grace);
      FakeOperator operator = new FakeOperator();
      CountDownLatch stop = new CountDownLatch(1);
      CountDownLatch hurry = new CountDownLatch(1);
      CompletableFuture<Integer> exit = runAsync(holder.config, operator, stop, hurry);
      await().atMost(Duration.ofSeconds(10)).until(() -> status(port, "/healthz") == 200);
      stop.countDown();
      if (grace.equals("5m")) {
        await().atMost(Duration.ofSeconds(5)).until(() -> status(port, "/readyz") == 503);
        assertThat(exit).as("waits out the grace").isNotDone();
        hurry.countDown();
      }
      assertThat(exit.get(10, TimeUnit.SECONDS)).as(grace).isZero();
      assertThat(status(port, "/healthz")).as(grace).isEqualTo(-1);
    }
  }

  @Test
  void refusesAGraceLongerThanFiveMinutes() {
    Holder holder = new Holder();
    new CommandLine(holder).parseArgs("--shutdown-grace", "10m");
    assertThat(holder.config.problems())
        .anySatisfy(p -> assertThat(p).contains("--shutdown-grace", "SWITCHBOARD_SHUTDOWN_GRACE"));
  }
}
