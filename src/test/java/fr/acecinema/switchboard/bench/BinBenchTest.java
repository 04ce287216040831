package fr.acecinema.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/bench} knows every benchmark: each {@code *Benchmark} main class of the test sources
 * has its line in the listing, under its name in kebab case, and every entry of the script names a
 * class that exists. Only the listing and the refusal of an unknown name run (no build, no
 * benchmark): a second or so.
 */
class BinBenchTest {
  private static final Path SCRIPT = Path.of("bin", "bench");
  private static final Path TEST_SOURCES = Path.of("src", "test", "java");
  private static final Pattern ENTRY = Pattern.compile("(?m)^  \"([a-z-]+)\\|([A-Za-z.]+)\\|");

  private record Result(int code, String out, String err) {}

  @Test
  void listsEveryBenchmarkClassOfTheTestSources() throws Exception {
    Result r = run();
    assertThat(r.code()).as(r.err()).isZero();
    List<String> classes = benchmarkClasses();
    assertThat(classes).contains("ProbeBenchmark", "FailoverBenchmark");
    for (String simpleName : classes) {
      String name =
          simpleName
              .replaceFirst("Benchmark$", "")
              .replaceAll("([a-z0-9])([A-Z])", "$1-$2")
              .toLowerCase(java.util.Locale.ROOT);
      assertThat(r.out())
          .as("bin/bench lists %s as '%s'", simpleName, name)
          .containsPattern("(?m)^  " + Pattern.quote(name) + " +\\S");
    }
    assertThat(r.out()).containsPattern("(?m)^  failover .*\\(as root\\)$");
  }

  @Test
  void everyEntryNamesAnExistingMainClass() throws IOException {
    Matcher m = ENTRY.matcher(Files.readString(SCRIPT));
    int entries = 0;
    while (m.find()) {
      entries++;
      Path source =
          TEST_SOURCES.resolve(
              "fr/acecinema/switchboard/" + m.group(2).replace('.', '/') + ".java");
      assertThat(source).as("bin/bench entry '%s'", m.group(1)).isRegularFile();
      assertThat(Files.readString(source)).contains("public static void main(String[] args)");
    }
    assertThat(entries).isEqualTo(benchmarkClasses().size());
  }

  @Test
  void refusesAnUnknownNameWithTheList() throws Exception {
    Result r = run("no-such");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("no benchmark named 'no-such'").contains("  status-latency ");
  }

  private static List<String> benchmarkClasses() throws IOException {
    try (Stream<Path> files = Files.walk(TEST_SOURCES)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(f -> f.endsWith("Benchmark.java"))
          .map(f -> f.substring(0, f.length() - ".java".length()))
          .sorted()
          .toList();
    }
  }

  private static Result run(String... args) throws Exception {
    List<String> command =
        Stream.concat(Stream.of("bash", SCRIPT.toString()), Stream.of(args)).toList();
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    // The outputs are a few lines: reading them one after the other cannot fill a pipe.
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("bin/bench finished").isTrue();
    return new Result(p.exitValue(), out, err);
  }
}
