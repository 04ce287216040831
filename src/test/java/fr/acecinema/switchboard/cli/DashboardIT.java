package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.it.TestBackends;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import fr.acecinema.switchboard.testbed.CaddyProcess;
import fr.acecinema.switchboard.testbed.HeadlessChromium;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.remote.RemoteWebDriver;

/**
 * The dashboard in a real browser (Debian's chromium, headless, driven through chromium-driver)
 * against a real {@code sbctl run} with Caddy, the embedded PostgreSQL and two loopback backends:
 * signing in with a token shows the fleet; a backend that dies turns red without a page reload; the
 * Drain button writes {@code drain: true} into the backend's manifest. A screenshot of the last
 * state is kept as {@code target/dashboard-it.png}.
 */
class DashboardIT {
  /** The --bad-bg of dashboard.css: a dead backend's badge. */
  private static final String RED = "rgb(176, 0, 32)";

  @TempDir Path dir;
  private final TestBackends backends = new TestBackends();
  private CaddyProcess caddy;
  private HeadlessChromium chromium;
  private RemoteWebDriver browser;
  private InProcessRun run;

  @AfterEach
  void tearDown() throws Exception {
    if (chromium != null) {
      chromium.close();
    }
    if (run != null) {
      run.stop(Duration.ofSeconds(20));
    }
    if (caddy != null) {
      caddy.close();
    }
    backends.close();
  }

  @Test
  void showsTheFleetLiveAndDrainsABackendIntoItsManifest() throws Exception {
    assertThat(HeadlessChromium.available())
        .as("chromium and chromium-driver are installed (bin/test installs them as root)")
        .isTrue();
    TestBackends.Backend dijon = backends.start("web-dijon", "127.0.40.2", 0);
    TestBackends.Backend thory = backends.start("web-thory", "127.0.41.2", 0);
    caddy = CaddyProcess.startOnLoopback(null);
    Path manifests = Files.createDirectories(dir.resolve("manifests"));
    // One resource per file: the API rewrites a resource in its own file only.
    write(manifests, "site-dijon.yaml", site("dijon", "127.0.40.0/24", 10));
    write(manifests, "site-thory.yaml", site("thory", "127.0.41.0/24", 20));
    write(manifests, "service-web.yaml", SERVICE);
    write(manifests, "backend-web-dijon.yaml", backend("web-dijon", "dijon", dijon));
    write(manifests, "backend-web-thory.yaml", backend("web-thory", "thory", thory));
    Path data = dir.resolve("data");
    String token = TokenStore.in(data).create("dashboard", Scope.write).secret();
    int port = CaddyProcess.freePort();
    run =
        InProcessRun.start(
            "--manifests",
            manifests.toString(),
            "--data-dir",
            data.toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--probe-status-refresh",
            "1s",
            "--caddy-admin",
            caddy.adminUrl(),
            "--caddy-listen",
            "127.0.0.1:" + CaddyProcess.freePort(),
            "--caddy-auto-https",
            "off",
            // The test fleet lives on loopback, refused as a Site subnet unless allowed.
            "--allow-subnets",
            "127.0.0.0/8",
            // Nothing here tests the stop's grace period (SbctlJarIT does): close at once.
            "--shutdown-grace",
            "0s");

    await().atMost(Duration.ofSeconds(30)).until(() -> healthz(port) == 200);
    chromium = HeadlessChromium.start(dir);
    browser = chromium.browser();
    browser.get("http://127.0.0.1:" + port + "/ui/");
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> browser.findElement(By.id("token")).isDisplayed());
    browser.findElement(By.id("token")).sendKeys(token);
    browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();

    // The fleet: site cards, the service with its host, both backends healthy; the streams live.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "Healthy".equals(attribute("backend-web-dijon", "data-health"))
                    && "Healthy".equals(attribute("backend-web-thory", "data-health")));
    await().atMost(Duration.ofSeconds(10)).until(() -> text("connection").equals("Live"));
    assertThat(text("site-dijon")).contains("dijon").contains("1/1 healthy");
    assertThat(text("site-thory")).contains("Ready");
    assertThat(text("service-web")).contains("web.acecinema.test").contains("/");
    assertThat(text("backend-web-dijon")).contains("127.0.40.2:" + dijon.port).contains("primary");
    assertThat(browser.manage().getCookies()).isEmpty();

    // A reload would drop this marker: the red below must come from the watch stream alone.
    browser.executeScript("window.switchboardTestMarker = 'no reload';");
    thory.stop();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "Unhealthy".equals(attribute("backend-web-thory", "data-health")));
    WebElement badge =
        browser.findElement(By.cssSelector("#backend-web-thory .badge.bad:first-of-type"));
    assertThat(badge.getText()).isEqualTo("Unhealthy");
    assertThat(badge.getCssValue("background-color")).isIn(RED, "rgba(176, 0, 32, 1)");
    assertThat(browser.executeScript("return window.switchboardTestMarker")).isEqualTo("no reload");
    await().atMost(Duration.ofSeconds(10)).until(() -> text("site-thory").contains("0/1 healthy"));

    // One click drains web-dijon: the same validated PUT as sbctl apply, into its own file.
    browser.findElement(By.id("drain-backend-web-dijon")).click();
    Path file = manifests.resolve("backend-web-dijon.yaml");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.readString(file).contains("drain: true"));
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> browser.findElement(By.id("undrain-backend-web-dijon")).isDisplayed());
    assertThat(text("notice")).contains("Backend web-dijon drained");
    assertThat(text("backend-web-dijon")).contains("draining");

    // The records (PostgreSQL, through /records/v1alpha1): the drain is an event naming the
    // token, the pushed revisions are listed, and the dead backend's timeline shows its fall.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                text("events").contains("ChangedThroughApi")
                    && text("events").contains("token 'dashboard': spec.drain: true (was unset)"));
    await().atMost(Duration.ofSeconds(20)).until(() -> text("revisions").contains("APPLIED"));
    browser.findElement(By.id("history-site-thory")).click();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> text("details").contains("History of site thory") && figure().contains("Ready"));
    browser.findElement(By.id("history-backend-web-thory")).click();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                text("details").contains("History of backend web-thory")
                    && figure().contains("Healthy")
                    && figure().contains("transitions"));
    assertThat(browser.findElements(By.cssSelector("#timeline svg rect.state-False"))).isNotEmpty();

    Path shot = Path.of("target", "dashboard-it.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  private String text(String id) {
    return chromium.text(id);
  }

  /** The timeline's caption (its summary in words), empty while there is none. */
  private String figure() {
    return chromium.text(By.cssSelector("#timeline figcaption"));
  }

  private String attribute(String id, String name) {
    return chromium.attribute(id, name);
  }

  private static int healthz(int port) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static void write(Path dir, String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text);
  }

  private static String site(String name, String subnet, int priority) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: %s
        spec:
          subnet: %s
          priority: %d
        """
        .formatted(name, subnet, priority);
  }

  private static final String SERVICE =
      """
      apiVersion: switchboard.acecinema.fr/v1alpha1
      kind: Service
      metadata:
        name: web
      spec:
        hosts: ["web.acecinema.test"]
        healthCheck:
          path: /health
          interval: 200ms
          timeout: 150ms
          healthyThreshold: 1
          unhealthyThreshold: 1
      """;

  private static String backend(String name, String site, TestBackends.Backend b) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: web
          site: %s
          address: "%s"
          port: %d
        """
        .formatted(name, site, b.address, b.port);
  }
}
