package dev.parley.server.web;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, through Debian's chromedriver (given explicitly, so Selenium never
 * downloads a driver), with a fake microphone that plays a WAV file, a fresh profile, and a
 * download folder. Missing Chromium skips the test locally and fails it under CI.
 */
final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  final ChromeDriver driver;
  final Path downloads;
  private final Path profile;

  /** Skips (locally) or fails (CI=true) when Chromium or its driver is missing. */
  static void require() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER)) {
      return;
    }
    String message =
        "Chromium not found ("
            + CHROMIUM
            + ", "
            + DRIVER
            + "): apt-get install chromium "
            + "chromium-driver (.ci/run installs them)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message);
    }
    Assumptions.assumeTrue(false, message);
  }

  HeadlessChromium(Path work, Path microphoneWav) throws IOException {
    profile = Files.createDirectories(work.resolve("profile"));
    downloads = Files.createDirectories(work.resolve("downloads"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--use-file-for-fake-audio-capture=" + microphoneWav.toAbsolutePath(),
        "--user-data-dir=" + profile.toAbsolutePath(),
        "--window-size=1000,1200");
    options.setExperimentalOption(
        "prefs",
        Map.of(
            "download.default_directory", downloads.toAbsolutePath().toString(),
            "download.prompt_for_download", false,
            "download.directory_upgrade", true));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
  }

  WebElement find(String id) {
    return driver.findElement(By.id(id));
  }

  String text(String id) {
    return find(id).getText();
  }

  /** Waits (generously: the machine may be loaded) until {@code condition} holds. */
  <T> T await(String what, Duration timeout, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(driver, timeout)
          .pollingEvery(Duration.ofMillis(100))
          .withMessage(what)
          .until(condition);
    } catch (RuntimeException e) {
      throw new AssertionError(what + "\n" + pageText() + "\n" + consoleLog(), e);
    }
  }

  /** A file that has finished downloading. */
  Path awaitDownload(String name) {
    Path file = downloads.resolve(name);
    await(
        "download " + name,
        Duration.ofSeconds(30),
        d -> Files.isRegularFile(file) && !Files.exists(downloads.resolve(name + ".crdownload")));
    return file;
  }

  void screenshot(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  /** What the page shows, for a failure's message. */
  String pageText() {
    try {
      return "page:\n" + driver.findElement(By.tagName("body")).getText();
    } catch (RuntimeException e) {
      return "(no page text: " + e.getMessage() + ")";
    }
  }

  String consoleLog() {
    try {
      List<LogEntry> entries = driver.manage().logs().get(LogType.BROWSER).getAll();
      StringBuilder b = new StringBuilder("browser console:\n");
      entries.forEach(
          e -> b.append("  ").append(e.getLevel()).append(' ').append(e.getMessage()).append('\n'));
      return b.toString();
    } catch (RuntimeException e) {
      return "(no browser console: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
