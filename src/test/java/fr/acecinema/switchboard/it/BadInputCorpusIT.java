package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.cli.LocalFleetAccess;
import fr.acecinema.switchboard.cli.Sbctl;
import fr.acecinema.switchboard.source.Rejection;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole bad-input corpus ({@code bad-manifests/cases.yaml}, committed and generated cases) in
 * one watched directory next to a valid fleet, through the real operator: every case gets its
 * reason and message where a user looks (the file's status, or {@code sbctl get} for files that
 * cannot hold a status), syntax-broken files keep every byte, schema-broken files change only under
 * {@code status:}, and the valid fleet becomes Ready as if the corpus were not there.
 *
 * <p>Resource names of reference and conflict cases get a per-case suffix (they all declare {@code
 * dijon} and {@code api}, which would otherwise conflict with each other), and their 10.200
 * addresses move to 127.200, so nothing here could ever send a packet off loopback.
 */
class BadInputCorpusIT {
  private static final Path CORPUS = Path.of("src/test/resources/bad-manifests");
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final String STATUS_BLOCK = "(?m)^status:\\n(  .*\\n)*";

  @TempDir Path dir;
  private ManifestDir manifests;
  private final TestBackends backends = new TestBackends();
  private Switchboard operator;

  /** One case as copied into the watched directory. */
  private record Case(
      String name,
      String level,
      String reason,
      String fragment,
      int document,
      List<String> files,
      boolean generated) {}

  @BeforeEach
  void manifests() {
    manifests = new ManifestDir(dir);
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
    backends.close();
  }

  @Test
  void everyBadInputIsReportedPreciselyAndTheValidFleetIsUnharmed() throws Exception {
    TestBackends.Backend a = backends.start("fleet-a-1", "127.0.30.2", 0);
    TestBackends.Backend b = backends.start("fleet-b-1", "127.0.31.2", 0);
    writeFleet(a.port, b.port);
    List<Case> cases = copyCorpus();
    generate();
    Map<String, byte[]> before = snapshot();

    long t0 = System.nanoTime();
    operator = OperatorITSupport.start(OperatorITSupport.loopbackFleet(dir));
    System.out.printf(
        "operator started over the corpus in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

    // The valid fleet first: the corpus next to it must not hold anything up.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> manifests.ready("fleet/a.yaml", 0).equals("True"));
    await().until(() -> manifests.ready("fleet/b.yaml", 0).equals("True"));
    await().until(() -> manifests.ready("fleet/service.yaml", 0).equals("True"));
    await().until(() -> manifests.ready("fleet/sites.yaml", 0).equals("True"));
    await().until(() -> manifests.ready("fleet/sites.yaml", 1).equals("True"));
    // The service's status follows its backends' a moment later.
    await()
        .until(
            () -> manifests.doc("fleet/service.yaml", 0).at("/status/readyEndpoints").asInt() == 2);

    // Every case gets its verdict; soft assertions list every case that fails, not the first.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(() -> assertCases(cases, before));

    // Nothing is touched that must not be, all along a few more resyncs.
    await()
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertCases(cases, before));

    // Still alive: a new manifest is read, probed and reported after all of that.
    assertThat(operator.ready()).isTrue();
    manifests.write("fleet/late.yaml", backend("fleet-b-2", "fleet-b", "127.0.31.2", b.port, 1));
    await().until(() -> manifests.ready("fleet/late.yaml", 0).equals("True"));
    await()
        .until(
            () -> manifests.doc("fleet/service.yaml", 0).at("/status/readyEndpoints").asInt() == 3);
  }

  private void assertCases(List<Case> cases, Map<String, byte[]> before) throws IOException {
    SoftAssertions soft = new SoftAssertions();
    List<Rejection> rejections = operator.declarations().rejections();
    String sbctlWarnings = sbctlGetAllJson();
    for (Case c : cases) {
      switch (c.level()) {
        case "syntax" -> assertSyntax(soft, c, rejections, sbctlWarnings, before);
        case "schema" -> assertSchema(soft, c, before);
        case "reference" -> assertReference(soft, c);
        case "conflict" -> assertConflict(soft, c);
        default -> soft.fail("unknown level " + c.level());
      }
    }
    soft.assertAll();
  }

  private void assertSyntax(
      SoftAssertions soft,
      Case c,
      List<Rejection> rejections,
      String sbctl,
      Map<String, byte[]> before)
      throws IOException {
    String location = "corpus/" + c.name();
    List<Rejection> mine =
        rejections.stream().filter(r -> r.origin().location().equals(location)).toList();
    soft.assertThat(mine).as("%s: operator rejections", c.name()).hasSize(1);
    for (Rejection r : mine) {
      soft.assertThat(r.reason()).as("%s: reason", c.name()).isEqualTo(c.reason());
      soft.assertThat(r.message())
          .as("%s: message", c.name())
          .contains(location)
          .contains(c.fragment());
    }
    // sbctl, which reads the directory on its own, shows the same error.
    soft.assertThat(sbctl)
        .as("%s: sbctl get all -o json warnings", c.name())
        .containsPattern("warning: [^\\n]*" + java.util.regex.Pattern.quote(location));
    soft.assertThat(
            sbctl
                .lines()
                .filter(l -> l.contains(location + ":") || l.contains(location + " "))
                .anyMatch(l -> l.contains(c.fragment())))
        .as("%s: sbctl shows '%s' in %s", c.name(), c.fragment(), sbctl)
        .isTrue();
    Path file = dir.resolve(location);
    if (before.containsKey(location)) {
      soft.assertThat(Files.readAllBytes(file))
          .as("%s: bytes untouched", c.name())
          .isEqualTo(before.get(location));
    }
  }

  private void assertSchema(SoftAssertions soft, Case c, Map<String, byte[]> before)
      throws IOException {
    String location = "corpus/" + c.name();
    int bad = c.document() - 1;
    if (!manifests.doc(location, bad).isObject()) {
      // Not a mapping: no status can be written into it, so it is reported like a syntax error.
      assertSyntax(soft, c, operator.declarations().rejections(), sbctlGetAllJson(), before);
      return;
    }
    JsonNode accepted = manifests.condition(location, bad, "Accepted");
    soft.assertThat(accepted.path("status").asText())
        .as("%s: Accepted", c.name())
        .isEqualTo("False");
    soft.assertThat(accepted.path("reason").asText())
        .as("%s: reason", c.name())
        .isEqualTo(c.reason());
    soft.assertThat(accepted.path("message").asText())
        .as("%s: message", c.name())
        .contains(c.name())
        .contains(c.fragment());
    for (int i = 0; i < bad; i++) {
      soft.assertThat(manifests.condition(location, i, "Accepted").path("reason").asText())
          .as("%s: document %d next to the bad one", c.name(), i + 1)
          .isEqualTo("Valid");
    }
    String now = Files.readString(dir.resolve(location)).replaceAll(STATUS_BLOCK, "");
    String then = new String(before.get(location), StandardCharsets.UTF_8);
    soft.assertThat(now).as("%s: everything outside status: unchanged", c.name()).isEqualTo(then);
  }

  private void assertReference(SoftAssertions soft, Case c) throws IOException {
    String location = "corpus/" + c.name();
    int backend = indexOf(location, "Backend");
    JsonNode accepted = manifests.condition(location, backend, "Accepted");
    soft.assertThat(accepted.path("reason").asText())
        .as("%s: reason", c.name())
        .isEqualTo(c.reason());
    soft.assertThat(accepted.path("message").asText())
        .as("%s: message", c.name())
        .contains(c.fragment());
    soft.assertThat(manifests.condition(location, backend, "Ready").path("status").asText())
        .as("%s: not ready", c.name())
        .isEqualTo("False");
  }

  private void assertConflict(SoftAssertions soft, Case c) throws IOException {
    List<String[]> docs = new ArrayList<>();
    for (String f : c.files()) {
      String location = "corpus/" + f;
      for (int i = 0; i < manifests.docs(location).size(); i++) {
        docs.add(new String[] {location, Integer.toString(i)});
      }
    }
    soft.assertThat(docs).as("%s: documents", c.name()).hasSize(2);
    for (String[] d : docs) {
      JsonNode accepted = manifests.condition(d[0], Integer.parseInt(d[1]), "Accepted");
      soft.assertThat(accepted.path("reason").asText())
          .as("%s: %s#%s reason", c.name(), d[0], d[1])
          .isEqualTo("Conflict");
      soft.assertThat(accepted.path("message").asText())
          .as("%s: %s#%s message", c.name(), d[0], d[1])
          .contains(c.fragment());
    }
  }

  // --- the directory

  private void writeFleet(int portA, int portB) throws IOException {
    manifests.write(
        "fleet/sites.yaml",
        """
        # The valid fleet next to the corpus.
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: fleet-a
        spec:
          subnet: 127.0.30.0/24
          priority: 10
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: fleet-b
        spec:
          subnet: 127.0.31.0/24
          priority: 20
        """);
    manifests.write(
        "fleet/service.yaml",
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: fleet
        spec:
          hosts: ["fleet.acecinema.test"]
          healthCheck:
            path: /health
            interval: 200ms
            timeout: 150ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """);
    manifests.write("fleet/a.yaml", backend("fleet-a-1", "fleet-a", "127.0.30.2", portA, 10));
    manifests.write("fleet/b.yaml", backend("fleet-b-1", "fleet-b", "127.0.31.2", portB, 1));
  }

  private static String backend(String name, String site, String address, int port, int weight) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: fleet
          site: %s
          address: "%s"
          port: %d
          weight: %d
        """
        .formatted(name, site, address, port, weight);
  }

  /** Copies every committed case under corpus/, renaming where cases would collide. */
  private List<Case> copyCorpus() throws IOException {
    List<Case> cases = new ArrayList<>();
    int n = 0;
    for (JsonNode c : YAML.readTree(CORPUS.resolve("cases.yaml").toFile()).path("cases")) {
      n++;
      String name = c.path("file").asText();
      String level = c.path("level").asText();
      boolean generated = c.path("generated").asBoolean();
      boolean rename =
          level.equals("reference") || level.equals("conflict") || c.path("document").asInt(1) > 1;
      List<String> files = new ArrayList<>();
      if (c.has("files")) {
        c.path("files").forEach(f -> files.add(name + "/" + f.asText()));
      } else {
        files.add(name);
      }
      if (!generated) {
        for (String f : files) {
          Path target = dir.resolve("corpus").resolve(f);
          Files.createDirectories(target.getParent());
          if (rename) {
            Files.writeString(target, renamed(Files.readString(CORPUS.resolve(f)), n));
          } else {
            Files.copy(CORPUS.resolve(f), target);
          }
        }
      }
      cases.add(
          new Case(
              name,
              level,
              c.path("reason").asText(),
              rename
                  ? c.path("fragment").asText().replace("10.200.", "127.200.")
                  : c.path("fragment").asText(),
              c.path("document").asInt(1),
              files,
              generated));
    }
    assertThat(cases).hasSizeGreaterThan(50);
    return cases;
  }

  /** Gives every resource name of a case a suffix, and moves its addresses onto loopback. */
  private static String renamed(String text, int n) {
    return text.replaceAll("(?m)^(\\s*(?:name|service|site): )(\\S+)$", "$1$2-c" + n)
        .replace("10.200.", "127.200.");
  }

  /** The generated cases: too big or too strange to commit. */
  private void generate() throws IOException, InterruptedException {
    Path corpus = dir.resolve("corpus");
    // 50 MB: one huge comment. Rejected on its size, never read into memory.
    Path big = corpus.resolve("generated-50mb.yaml");
    try (OutputStream out = Files.newOutputStream(big)) {
      byte[] line = ("# " + "x".repeat(1021) + "\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 50 * 1024; i++) {
        out.write(line);
      }
    }
    // Random bytes with NULs and bytes that are never valid UTF-8.
    byte[] junk = new byte[64 * 1024];
    new Random(42).nextBytes(junk);
    junk[100] = 0;
    junk[200] = (byte) 0xFF;
    Files.write(corpus.resolve("generated-binary-junk.yaml"), junk);
    // A symbolic link to itself.
    Path loop = corpus.resolve("generated-symlink-loop.yaml");
    Files.createSymbolicLink(loop, loop.getFileName());
    // Root reads mode-000 files, so "unreadable" is a FIFO: opening it would block forever.
    Path fifo = corpus.resolve("generated-unreadable.yaml");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();
    // Billion laughs: each level a list of ten aliases of the previous one.
    StringBuilder bomb = new StringBuilder("a0: &a0 [\"lol\"]\n");
    for (int i = 1; i < 10; i++) {
      bomb.append("a").append(i).append(": &a").append(i).append(" [");
      for (int j = 0; j < 10; j++) {
        bomb.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
      }
      bomb.append("]\n");
    }
    Files.writeString(corpus.resolve("generated-alias-bomb.yaml"), bomb);
    Files.writeString(
        corpus.resolve("generated-deep-nesting.yaml"), "a: " + "[".repeat(10_000) + "\n");
  }

  private Map<String, byte[]> snapshot() throws IOException {
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    try (var walk = Files.walk(dir.resolve("corpus"))) {
      for (Path p :
          walk.filter(Files::isRegularFile).filter(p -> !Files.isSymbolicLink(p)).toList()) {
        if (Files.size(p) < 1024 * 1024) {
          bytes.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
      }
    }
    return bytes;
  }

  // --- reading back

  /** {@code sbctl --manifests DIR get all -o json}: its stdout and its warnings (stderr). */
  private String sbctlGetAllJson() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl =
        Sbctl.commandLine(
            new Sbctl(new LocalFleetAccess(), Clock.systemUTC()),
            new HashMap<String, String>()::get);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("--manifests", dir.toString(), "get", "all", "-o", "json");
    assertThat(code).as("sbctl exit code; stderr: %s", err).isZero();
    return err.toString();
  }

  private int indexOf(String name, String kind) throws IOException {
    List<JsonNode> docs = manifests.docs(name);
    for (int i = 0; i < docs.size(); i++) {
      if (docs.get(i).path("kind").asText().equals(kind)) {
        return i;
      }
    }
    throw new AssertionError(name + " declares no " + kind);
  }
}
