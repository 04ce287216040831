package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sbctl token create/revoke} run as parallel processes of the real {@code
 * target/switchboard.jar} on one data dir, as operators and scripts run them: no change is lost,
 * and every command's exit code and message say what happened to the file. Bounded: at most 8
 * processes at a time, 39 in all, each within {@link #BATCH_TIMEOUT}.
 */
class TokenCommandsIT {
  private static final Path JAR = Path.of("target", "switchboard.jar");
  private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path temp;
  private Path data;
  private final List<Process> processes = new ArrayList<>();

  /** One finished command. */
  private record Result(String command, int code, String out, String err) {
    @Override
    public String toString() {
      return "sbctl " + command + ": exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    assertThat(JAR)
        .as("the jar under test; run 'mvn package' (failsafe runs after it in 'mvn verify')")
        .isRegularFile();
    data = temp.resolve("var");
    Files.createDirectories(temp.resolve("manifests"));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void eightParallelCreatesKeepEight() throws Exception {
    List<List<String>> commands = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      commands.add(List.of("token", "create", "ci-" + i, "--scope", "write"));
    }
    long started = System.nanoTime();
    List<Result> results = parallel(commands);
    Map<String, String> secrets = new LinkedHashMap<>();
    for (int i = 0; i < 8; i++) {
      Result r = results.get(i);
      assertThat(r.code()).as("%s", r).isZero();
      assertThat(r.out()).as("%s", r).startsWith("sbt_").endsWith("\n");
      assertThat(r.err()).as("%s", r).contains("token 'ci-" + i + "'", "created in");
      secrets.put("ci-" + i, r.out().trim());
    }
    TokenStore store = TokenStore.in(data);
    List<String> kept = store.list().stream().map(TokenStore.Token::name).toList();
    System.out.printf(
        "TokenCommandsIT: 8 parallel creates, %d of 8 kept, in %d ms%n",
        kept.size(), (System.nanoTime() - started) / 1_000_000);
    assertThat(kept).containsExactlyInAnyOrderElementsOf(secrets.keySet());
    assertAuthenticate(store, secrets);
  }

  @Test
  void parallelRevokesAndCreatesEndWithExactlyTheExpectedTokens() throws Exception {
    TokenStore store = TokenStore.in(data);
    List<String> expected = new ArrayList<>();
    Map<String, String> live = new LinkedHashMap<>();
    List<String> revokedSecrets = new ArrayList<>();
    for (int round = 1; round <= 3; round++) {
      List<String> admins = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String name = "admin-" + round + "-" + i;
        revokedSecrets.add(store.create(name, Scope.admin).secret());
        admins.add(name);
      }
      List<List<String>> commands = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        commands.add(List.of("token", "revoke", admins.get(i)));
        commands.add(List.of("token", "create", "user-" + round + "-" + i));
      }
      List<Result> results = parallel(commands);
      for (int i = 0; i < 4; i++) {
        Result revoke = results.get(2 * i);
        assertThat(revoke.code()).as("%s", revoke).isZero();
        assertThat(revoke.out()).as("%s", revoke).startsWith("token " + admins.get(i) + " (");
        Result create = results.get(2 * i + 1);
        assertThat(create.code()).as("%s", create).isZero();
        live.put("user-" + round + "-" + i, create.out().trim());
        expected.add("user-" + round + "-" + i);
      }
      List<String> names = store.list().stream().map(TokenStore.Token::name).toList();
      long adminsLeft = names.stream().filter(n -> n.startsWith("admin-")).count();
      String created = "user-" + round + "-";
      long createdKept = names.stream().filter(n -> n.startsWith(created)).count();
      System.out.printf(
          "TokenCommandsIT: round %d, 4 revokes + 4 creates in parallel: %d of 4 admin tokens"
              + " came back, %d of 4 created kept%n",
          round, adminsLeft, createdKept);
      assertThat(names).as("round %d", round).containsExactlyInAnyOrderElementsOf(expected);
    }
    for (String secret : revokedSecrets) {
      assertThat(store.authenticate(secret)).as("a revoked admin token").isEmpty();
    }
    assertAuthenticate(store, live);
  }

  @Test
  void eachCommandSaysWhatHappenedToTheFile() throws Exception {
    List<Result> creates =
        parallel(
            List.of(
                List.of("token", "create", "twin"),
                List.of("token", "create", "twin"),
                List.of("token", "create", "twin"),
                List.of("token", "create", "twin")));
    List<Result> won = creates.stream().filter(r -> r.code() == 0).toList();
    assertThat(won).as("one create of a name wins: %s", creates).hasSize(1);
    for (Result r : creates) {
      if (r.code() != 0) {
        assertThat(r.code()).as("%s", r).isEqualTo(1);
        assertThat(r.err()).as("%s", r).contains("a token named 'twin' already exists");
        assertThat(r.out()).as("no secret printed for a token not created").isEmpty();
      }
    }
    TokenStore store = TokenStore.in(data);
    assertThat(store.authenticate(won.get(0).out().trim()))
        .as("the winner's secret is the one stored")
        .map(TokenStore.Token::name)
        .contains("twin");

    // The revoke of a name that never existed runs in the same batch: one JVM start less.
    List<Result> batch =
        parallel(
            List.of(
                List.of("token", "revoke", "twin"),
                List.of("token", "revoke", "twin"),
                List.of("token", "revoke", "nobody")));
    List<Result> revokes = batch.subList(0, 2);
    assertThat(revokes.stream().filter(r -> r.code() == 0)).as("%s", revokes).hasSize(1);
    Result lost = revokes.stream().filter(r -> r.code() != 0).findFirst().orElseThrow();
    assertThat(lost.code()).as("%s", lost).isEqualTo(1);
    assertThat(lost.err()).as("%s", lost).contains("no token with id or name 'twin'");

    Result missing = batch.get(2);
    assertThat(missing.code()).as("%s", missing).isEqualTo(1);
    assertThat(missing.err())
        .as("%s", missing)
        .contains("error: no token with id or name 'nobody'; see sbctl token list");
    assertThat(store.list()).isEmpty();
  }

  /** Each printed secret authenticates as the token it was printed for. */
  private static void assertAuthenticate(TokenStore store, Map<String, String> secretsByName) {
    secretsByName.forEach(
        (name, secret) ->
            assertThat(store.authenticate(secret))
                .as("the printed secret of %s", name)
                .map(TokenStore.Token::name)
                .contains(name));
  }

  /** Starts every command at once and waits for all of them; results in the commands' order. */
  private List<Result> parallel(List<List<String>> commands)
      throws IOException, InterruptedException {
    List<Process> started = new ArrayList<>();
    List<Path[]> outputs = new ArrayList<>();
    for (List<String> args : commands) {
      Path out = Files.createTempFile(temp, "out", ".txt");
      Path err = Files.createTempFile(temp, "err", ".txt");
      Process p = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      processes.add(p);
      started.add(p);
      outputs.add(new Path[] {out, err});
    }
    long deadline = System.nanoTime() + BATCH_TIMEOUT.toNanos();
    List<Result> results = new ArrayList<>();
    for (int i = 0; i < started.size(); i++) {
      Process p = started.get(i);
      String command = String.join(" ", commands.get(i));
      assertThat(p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
          .as("sbctl %s finished within %s of its batch", command, BATCH_TIMEOUT)
          .isTrue();
      results.add(
          new Result(
              command,
              p.exitValue(),
              Files.readString(outputs.get(i)[0]),
              Files.readString(outputs.get(i)[1])));
    }
    return results;
  }

  /** The jar on the JDK running this test; the environment holds only what the test sets. */
  private ProcessBuilder builder(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Short-lived commands: a quick start matters more than peak speed on a small machine.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
    pb.environment().put("SWITCHBOARD_MANIFESTS", temp.resolve("manifests").toString());
    pb.environment().put("SWITCHBOARD_DATA_DIR", data.toString());
    return pb;
  }
}
