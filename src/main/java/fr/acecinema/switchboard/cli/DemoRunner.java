package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.ManifestFleet;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.operator.OperatorSettings;
import fr.acecinema.switchboard.reconciler.RouterSettings;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code sbctl demo}: copies the loopback fleet of {@code manifests/demo/} into a scratch
 * directory, starts its two backends, runs the operator on it and narrates what the statuses say
 * while a backend dies and comes back. Everything runs on 127.0.10.x/127.0.11.x and is removed at
 * the end, also on failure.
 */
final class DemoRunner implements Demo {
  static final String FLEET_RESOURCE = "/demo/fleet.yaml";
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

  /** What to run when Caddy is missing: the package of Debian and Ubuntu (Caddy 2.6). */
  static final String INSTALL_CADDY = "sudo apt-get install --no-install-recommends caddy";

  /**
   * The demo fleet lives on loopback (127.0.10.0/24 and 127.0.11.0/24), which a real hub refuses as
   * a Site subnet; the demo allows exactly its two sites, as a user would with --allow-subnets.
   */
  static final SubnetPolicy DEMO_SUBNETS =
      SubnetPolicy.allowing(List.of("127.0.10.0/24", "127.0.11.0/24"));

  @Override
  public int run(SwitchboardConfig config, PrintWriter out, PrintWriter err) throws Exception {
    return run(config, out, err, false);
  }

  @Override
  public int run(SwitchboardConfig config, PrintWriter out, PrintWriter err, boolean keepRunning)
      throws Exception {
    var binary = DemoCaddy.binary();
    if (binary.isEmpty()) {
      // Routing through Caddy is the point of the tour: without it there is nothing to show.
      err.println(
          "sbctl demo routes requests through Caddy, and no caddy binary is installed (looked in"
              + " /usr/bin and on the PATH). Install it, then run the demo again:\n  "
              + INSTALL_CADDY
              + "\n(bin/sbctl demo does this itself when run as root on a machine with apt-get.)");
      return 1;
    }
    Path scratch = Files.createTempDirectory("switchboard-demo-");
    try (DemoBackends backends = new DemoBackends()) {
      Path fleet = scratch.resolve("fleet.yaml");
      try (InputStream in = DemoRunner.class.getResourceAsStream(FLEET_RESOURCE)) {
        if (in == null) {
          err.println("the demo fleet is missing from the jar (" + FLEET_RESOURCE + ")");
          return 1;
        }
        Files.copy(in, fleet);
      }
      out.println("Demo fleet copied to " + fleet + " (edit it while the demo runs, if you like).");
      backends.start("demo-dijon", "127.0.10.2", 18080);
      backends.start("demo-thory", "127.0.11.2", 18080);
      out.println(
          "Started demo backends on 127.0.10.2:18080 (site demo-dijon) and 127.0.11.2:18080"
              + " (site demo-thory).");
      out.flush();

      ManifestFleet view = new ManifestFleet(scratch, DEMO_SUBNETS);
      OkHttpClient http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
      DemoCaddy caddy;
      try {
        caddy = DemoCaddy.start(binary.get(), http);
      } catch (IOException e) {
        err.println("Caddy (" + binary.get() + ") could not start: " + e.getMessage());
        return 1;
      }
      out.println(
          "Started a private Caddy ("
              + binary.get()
              + "): admin "
              + caddy.adminUrl
              + ", routes on http://"
              + caddy.listen
              + ", automatic HTTPS off.");
      OperatorSettings settings =
          new OperatorSettings(
                  scratch, null, 2, Duration.ofSeconds(10), config.probeStatusRefresh())
              .withSubnets(DEMO_SUBNETS)
              .withRouting(
                  RouterSettings.caddy(caddy.adminUrl, List.of(caddy.listen), false)
                      // A port of its own: the demo may run beside a hub's sbctl run.
                      .withResolver("127.0.0.1:0", Duration.ofMillis(100)));
      try (caddy;
          Switchboard operator = Switchboard.start(settings, new SimpleMeterRegistry());
          DemoDashboard dashboard = DemoDashboard.start(operator, scratch)) {
        out.println(
            "Dashboard: "
                + dashboard.url()
                + "  (sign in with the token "
                + dashboard.token()
                + "; add --keep-running to look at it after the tour)");
        step(
            out,
            "1. Every manifest gets a truthful status:",
            view,
            rows ->
                ready(rows, "Service", "demo", "True")
                    && ready(rows, "Site", "demo-thory", "True")
                    && routed(rows, "demo"));
        out.println("\n   Status written into " + fleet.getFileName() + " for the service:");
        printStatusOf(out, fleet, "name: demo\n");
        requests(
            out,
            http,
            caddy,
            "\n1b. Caddy routes demo.localhost by weight (demo-dijon 3, demo-thory 1):",
            answers -> answers.containsKey("demo-dijon") && answers.containsKey("demo-thory"));

        backends.stop("demo-thory");
        out.println("\n   (stopped the demo-thory backend)");
        step(
            out,
            "2. The dead backend is reported within seconds; the service stays Ready:",
            view,
            rows ->
                ready(rows, "Backend", "demo-thory", "False")
                    && ready(rows, "Service", "demo", "True"));
        requests(
            out,
            http,
            caddy,
            "\n2b. Traffic moved: every request through Caddy now reaches demo-dijon:",
            answers -> answers.keySet().equals(java.util.Set.of("demo-dijon")));

        backends.start("demo-thory", "127.0.11.2", 18080);
        out.println("\n   (restarted the demo-thory backend)");
        step(
            out,
            "3. It heals by itself:",
            view,
            rows -> ready(rows, "Backend", "demo-thory", "True"));
        out.println("\nDemo done. Run `bin/sbctl run --manifests DIR` on your own fleet.");
        if (keepRunning) {
          out.println(
              "The fleet, Caddy and the dashboard ("
                  + dashboard.url()
                  + ") stay up: press Enter to end the demo.");
          out.flush();
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))
              .readLine();
        }
        return 0;
      } catch (StepFailed e) {
        err.println(
            "demo step did not happen within "
                + STEP_TIMEOUT.toSeconds()
                + " s: "
                + e.getMessage());
        return 1;
      }
    } finally {
      deleteTree(scratch);
    }
  }

  /** Sends 8 requests (Host: demo.localhost) through Caddy until {@code done} holds (bounded). */
  private static void requests(
      PrintWriter out,
      OkHttpClient http,
      DemoCaddy caddy,
      String title,
      Predicate<Map<String, Integer>> done)
      throws StepFailed, InterruptedException {
    out.println(title);
    out.println("   $ curl -H 'Host: demo.localhost' http://" + caddy.listen + "/   (8 times)");
    out.flush();
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    Map<String, Integer> answers = Map.of();
    while (System.nanoTime() < deadline) {
      answers = new TreeMap<>();
      for (int i = 0; i < 8; i++) {
        answers.merge(get(http, caddy), 1, Integer::sum);
      }
      if (done.test(answers)) {
        answers.forEach((who, n) -> out.println("   " + n + " x " + who));
        out.flush();
        return;
      }
      Thread.sleep(200); // Caddy is being reconfigured; nothing to wait on from here
    }
    throw new StepFailed(title.strip() + " (last answers: " + answers + ")");
  }

  private static String get(OkHttpClient http, DemoCaddy caddy) {
    Request req =
        new Request.Builder()
            .url("http://" + caddy.listen + "/")
            .header("Host", "demo.localhost")
            .build();
    try (Response r = http.newCall(req).execute()) {
      String body = r.body() == null ? "" : r.body().string().trim();
      return r.code() == 200 ? body.replace("hello from ", "") : "HTTP " + r.code();
    } catch (IOException e) {
      return "failed: " + e.getMessage();
    }
  }

  private static final class StepFailed extends Exception {
    StepFailed(String m) {
      super(m);
    }
  }

  private static void step(
      PrintWriter out, String title, ManifestFleet view, Predicate<List<ResourceRow>> done)
      throws IOException, StepFailed, InterruptedException {
    out.println("\n" + title);
    out.flush();
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    List<ResourceRow> rows = view.list();
    while (!done.test(rows)) {
      if (System.nanoTime() > deadline) {
        out.print(Printer.tables(rows, true, true, Instant.now()));
        throw new StepFailed(title);
      }
      Thread.sleep(100); // polling files a person is also watching; no event to wait on
      rows = view.list();
    }
    out.print(Printer.tables(rows, true, true, Instant.now()));
    out.flush();
  }

  /** The service's routes with both backends are live in Caddy. */
  private static boolean routed(List<ResourceRow> rows, String service) {
    return rows.stream()
        .anyMatch(
            r ->
                "Service".equals(r.kind())
                    && service.equals(r.name())
                    && "True".equals(r.condition("Routed").path("status").asText())
                    && r.condition("Routed").path("message").asText().contains("127.0.11.2"));
  }

  private static boolean ready(List<ResourceRow> rows, String kind, String name, String status) {
    return rows.stream()
        .anyMatch(
            r ->
                kind.equals(r.kind())
                    && name.equals(r.name())
                    && status.equals(r.ready().status()));
  }

  private static void printStatusOf(PrintWriter out, Path file, String marker) throws IOException {
    String text = Files.readString(file);
    int doc = text.indexOf(marker);
    int status = doc < 0 ? -1 : text.indexOf("\nstatus:", doc);
    if (status < 0) {
      return;
    }
    int end = text.indexOf("\n---", status);
    text.substring(status + 1, end < 0 ? text.length() : end)
        .lines()
        .forEach(l -> out.println("   | " + l));
  }

  /** Removes a temporary directory of the demo, best effort. */
  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp directory
    }
  }
}
