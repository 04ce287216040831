package fr.acecinema.switchboard.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.RemoteWebDriver;

/**
 * Debian's chromium, headless, driven through chromium-driver, that reaches nothing but the
 * addresses it is given: no background services, no component updates, and a resolver that finds no
 * host name at all (pages are opened by IP). Stopped with {@link #close()}.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriverService driver;
  private final RemoteWebDriver browser;

  private HeadlessChromium(ChromeDriverService driver, RemoteWebDriver browser) {
    this.driver = driver;
    this.browser = browser;
  }

  /** Whether chromium and chromium-driver are installed ({@code bin/test} installs them). */
  public static boolean available() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  /**
   * Starts the driver and a browser whose profile and logs live in {@code dir}, reaching 127.0.0.1
   * and the {@code addresses} given (IP literals: its resolver maps everything else to nothing).
   */
  public static HeadlessChromium start(Path dir, String... addresses) throws IOException {
    StringBuilder rules =
        new StringBuilder("MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost");
    for (String a : addresses) {
      rules.append(", EXCLUDE ").append(a);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        // The tests run as root, where chromium's sandbox cannot start.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium")),
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--host-resolver-rules=" + rules);
    ChromeDriverService driver =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(dir.resolve("chromedriver.log").toFile())
            .build();
    driver.start();
    try {
      // Plain WebDriver over chromedriver's port: ChromeDriver would also open a DevTools
      // websocket to the browser, which tests do not use and whose handshake stalls for minutes
      // here.
      return new HeadlessChromium(driver, new RemoteWebDriver(driver.getUrl(), options));
    } catch (RuntimeException e) {
      driver.stop();
      throw e;
    }
  }

  public RemoteWebDriver browser() {
    return browser;
  }

  /** The text of element {@code id}; empty while there is none. */
  public String text(String id) {
    return text(By.id(id));
  }

  /** The text of the first element {@code by} finds; empty while there is none. */
  public String text(By by) {
    try {
      return browser.findElement(by).getText();
    } catch (NoSuchElementException | StaleElementReferenceException e) {
      return "";
    }
  }

  /** Attribute {@code name} of element {@code id} as written in the page; null without. */
  public String attribute(String id, String name) {
    try {
      return browser.findElement(By.id(id)).getDomAttribute(name);
    } catch (NoSuchElementException | StaleElementReferenceException e) {
      return null;
    }
  }

  @Override
  public void close() {
    try {
      browser.quit();
    } finally {
      driver.stop();
    }
  }
}
