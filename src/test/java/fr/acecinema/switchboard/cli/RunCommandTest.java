package fr.acecinema.switchboard.cli;

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

class RunCommandTest {
  @Command
  static class Holder {
    @Mixin SwitchboardConfig config = new SwitchboardConfig();
  }

  /** A control plane that becomes ready on demand and counts its shutdowns. */
  static class FakeOperator implements OperatorLauncher, OperatorLauncher.Running {
    final AtomicBoolean ready = new AtomicBoolean();
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public Running start(SwitchboardConfig config) {
      return this;
    }

    @Override
    public boolean ready() {
      return ready.get();
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
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return RunCommand.run(holder.config, operator, stop);
              } catch (InterruptedException e) {
                return -1;
              }
            });
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
        RunCommand.run(
            holder.config,
            config -> {
              throw new IllegalStateException("caddy admin unreachable");
            },
            new CountDownLatch(1));
    assertThat(code).isEqualTo(1);
  }

  @Test
  void closesTheOperatorWhenTheListenAddressIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Holder holder = new Holder();
      new CommandLine(holder).parseArgs("--listen", "127.0.0.1:" + taken.getLocalPort());
      FakeOperator operator = new FakeOperator();
      assertThat(RunCommand.run(holder.config, operator, new CountDownLatch(1))).isEqualTo(1);
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
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return RunCommand.run(holder.config, operator, stop);
              } catch (InterruptedException e) {
                return -1;
              }
            });
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
}
