package fr.acecinema.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's edit that lands while the operator writes statuses is never overwritten. Twenty Backend
 * files whose backend flaps every 150 ms (probe every 100 ms, thresholds 1) get their status
 * rewritten constantly, while an editor makes 300 edits the way people do: read the file, change
 * {@code spec.weight}, add a comment, save, half of the time in place, half of the time as a
 * temporary file renamed over it. Every read must parse; in the end every file must hold, outside
 * {@code status:}, exactly what its last edit wrote, so no edit and no comment was lost.
 */
class StatusWriteStressIT {
  private static final int FILES = 20;
  private static final int EDITS = 300;
  private static final String STATUS_BLOCK = "(?m)^status:\\n(  .*\\n)*";
  private static final long FLAP_NANOS = 150_000_000L;
  // Awaitility's default polls every 100 ms and first looks after 100 ms: most of the ~240 waits
  // for the operator to see an edit (a few tens of ms) were that first 100 ms. One read and parse
  // of one small file per poll.
  private static final Duration EDIT_POLL = Duration.ofMillis(10);

  @TempDir Path dir;
  private final ManifestParser parser = new ManifestParser();
  private HttpServer flapping;
  private Switchboard operator;

  @BeforeEach
  void flappingBackend() throws IOException {
    flapping = HttpServer.create(new InetSocketAddress("127.0.40.2", 0), 128);
    flapping.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    flapping.createContext(
        "/health",
        ex -> {
          int code = (System.nanoTime() / FLAP_NANOS) % 2 == 0 ? 200 : 503;
          byte[] body = ("flap " + code + "\n").getBytes();
          ex.sendResponseHeaders(code, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    flapping.start();
  }

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.close();
    }
    flapping.stop(0);
  }

  @Test
  void noEditIsLostWhileStatusesAreWrittenConstantly() throws Exception {
    int port = flapping.getAddress().getPort();
    Files.writeString(
        dir.resolve("site.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: stress
        spec:
          subnet: 127.0.40.0/24
        ---
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Service
        metadata:
          name: flap
        spec:
          hosts: ["flap.acecinema.test"]
          healthCheck:
            path: /health
            interval: 100ms
            timeout: 80ms
            healthyThreshold: 1
            unhealthyThreshold: 1
        """);
    String[] lastWritten = new String[FILES];
    List<Set<String>> comments = new ArrayList<>();
    for (int i = 0; i < FILES; i++) {
      lastWritten[i] =
          """
          # backend %d, edited by the stress test
          apiVersion: switchboard.acecinema.fr/v1alpha1
          kind: Backend
          metadata:
            name: flap-%d
          spec:
            service: flap
            site: stress
            address: "127.0.40.2"
            port: %d
            weight: 1
          """
              .formatted(i, i, port);
      Files.writeString(file(i), lastWritten[i]);
      comments.add(new HashSet<>(Set.of("# backend " + i + ", edited by the stress test")));
    }
    operator = OperatorITSupport.start(OperatorITSupport.loopbackFleet(dir));
    for (int i = 0; i < FILES; i++) {
      int f = i;
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(EDIT_POLL)
          .until(() -> statusGeneration(f) == generation(f));
    }

    Random random = new Random(7);
    int sawOperatorWrite = 0;
    int inPlace = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    for (int n = 1; n <= EDITS && System.nanoTime() < deadline; n++) {
      int f = random.nextInt(FILES);
      String text = Files.readString(file(f));
      ParsedFile parsed = parser.parse(text);
      assertThat(parsed.error()).as("edit %d: %s parses", n, file(f)).isEmpty();
      assertThat(parsed.documents()).as("edit %d: %s", n, file(f)).hasSize(1);
      if (!text.equals(lastWritten[f])) {
        sawOperatorWrite++;
      }
      String comment = "# edit " + n + " of flap-" + f;
      String next =
          text.replaceFirst("(?m)^  weight: \\d+$", "  weight: " + (1 + n % 100))
              .replaceFirst("(?m)^spec:$", comment + "\nspec:");
      if (n % 2 == 0) {
        Files.writeString(file(f), next);
        inPlace++;
      } else {
        Path tmp = dir.resolve(".flap-" + f + ".yaml.swp");
        Files.writeString(tmp, next);
        Files.move(tmp, file(f), StandardCopyOption.ATOMIC_MOVE);
      }
      lastWritten[f] = next;
      comments.get(f).add(comment);
      if (n % 3 != 0) {
        // Most edits wait until the operator saw them (and so raced its status writes); every
        // third one is a burst, landing while the previous one may still be in flight.
        int edited = f;
        long expected = parser.parse(next).documents().get(0).generation();
        int edit = n;
        await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(EDIT_POLL)
            .untilAsserted(
                () ->
                    assertThat(statusGeneration(edited))
                        .as(
                            "edit %d: %s is\n%s",
                            edit, file(edited), Files.readString(file(edited)))
                        .isEqualTo(expected));
      }
    }
    System.out.printf(
        "%d edits (%d in place), the operator had rewritten the file before %d of them%n",
        EDITS, inPlace, sawOperatorWrite);
    // The edits really raced status writes; otherwise this test would prove nothing.
    assertThat(sawOperatorWrite).isGreaterThan(EDITS / 4);

    // Let the operator settle on every last edit, then check every file, all along two seconds
    // while the backends keep flapping and statuses keep being written.
    for (int i = 0; i < FILES; i++) {
      int f = i;
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(EDIT_POLL)
          .until(() -> statusGeneration(f) == generation(f));
    }
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertNothingLost(lastWritten, comments));
  }

  private void assertNothingLost(String[] lastWritten, List<Set<String>> comments)
      throws IOException {
    SoftAssertions soft = new SoftAssertions();
    for (int f = 0; f < FILES; f++) {
      String text = Files.readString(file(f));
      ParsedFile parsed = parser.parse(text);
      soft.assertThat(parsed.error()).as("%s parses", file(f)).isEmpty();
      soft.assertThat(text.replaceAll(STATUS_BLOCK, ""))
          .as("%s outside status: is its last edit", file(f))
          .isEqualTo(lastWritten[f].replaceAll(STATUS_BLOCK, ""));
      for (String comment : comments.get(f)) {
        soft.assertThat(text).as("%s keeps its comments", file(f)).contains(comment);
      }
      JsonNode spec = parsed.documents().get(0).document().path("spec");
      JsonNode expected = parser.parse(lastWritten[f]).documents().get(0).document().path("spec");
      soft.assertThat(spec).as("%s spec", file(f)).isEqualTo(expected);
    }
    soft.assertAll();
  }

  private Path file(int f) {
    return dir.resolve("flap-" + f + ".yaml");
  }

  private long generation(int f) throws IOException {
    return document(f).generation();
  }

  private long statusGeneration(int f) throws IOException {
    return document(f).document().at("/status/observedGeneration").asLong(-1);
  }

  private ParsedDocument document(int f) throws IOException {
    ParsedFile parsed = parser.parse(Files.readString(file(f)));
    assertThat(parsed.error()).as("%s parses", file(f)).isEmpty();
    return parsed.documents().get(0);
  }
}
