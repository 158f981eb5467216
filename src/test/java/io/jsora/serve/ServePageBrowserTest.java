package io.jsora.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.DeviceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in headless Chromium driven by WebDriver: type a prompt, Generate, watch the progress
 * bar fed by the event stream, and the finished MP4 playing in the {@code <video>} element. Skips,
 * saying why, where no Chromium and chromedriver are installed.
 */
class ServePageBrowserTest {
  /** The screenshot this test leaves as an artifact. */
  static final Path SCREENSHOT = Path.of("target", "serve-page.png");

  @TempDir static Path dir;
  static PipelineGenerator real;
  static VideoServer server;

  static Optional<Path> first(String... candidates) {
    return Stream.of(candidates).map(Path::of).filter(Files::isExecutable).findFirst();
  }

  static Optional<Path> chromium() {
    return first("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
  }

  static Optional<Path> chromedriver() {
    return first("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
  }

  @BeforeAll
  static void start() throws Exception {
    if (chromium().isEmpty() || chromedriver().isEmpty()) {
      String why =
          "no Chromium and chromedriver here (apt-get install chromium chromium-driver): browser test skipped";
      System.out.println(why);
      Assumptions.assumeTrue(false, why);
    }
    Path ckpt = ServeFixtures.checkpoint(dir);
    real = PipelineGenerator.load(ckpt, true, DeviceSpec.CPU, 1);
    server = VideoServer.start(ServeFixtures.config(ckpt, dir.resolve("outputs")), real);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (real != null) {
      real.close();
    }
  }

  @Test
  void generateFromThePageShowsProgressAndPlaysTheVideo() throws Exception {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(chromium().orElseThrow().toFile());
    o.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,860",
        "--autoplay-policy=no-user-gesture-required",
        "--no-first-run",
        "--disable-extensions");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver().orElseThrow().toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, o);
    try {
      driver.get(server.uri() + "/");
      WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
      JavascriptExecutor js = driver;
      // the form holds the checkpoint's defaults once /v1/models answered
      wait.until(d -> "16".equals(d.findElement(By.id("width")).getDomProperty("value")));
      assertEquals("4", driver.findElement(By.id("frames")).getDomProperty("value"));
      WebElement steps = driver.findElement(By.id("steps"));
      steps.clear();
      steps.sendKeys("40");
      driver.findElement(By.id("seed")).sendKeys("3");
      driver.findElement(By.id("prompt")).sendKeys("a red circle moving left");
      driver.findElement(By.id("generate")).click();
      // the bar advances, then finishes; the page records every value it set
      wait.until(d -> "100".equals(d.findElement(By.id("progress")).getDomProperty("value")));
      @SuppressWarnings("unchecked")
      List<Number> seen = (List<Number>) js.executeScript("return window.jsoraProgress;");
      assertTrue(
          seen.stream().anyMatch(v -> v.doubleValue() > 0 && v.doubleValue() < 100),
          "the bar moved through the steps: " + seen);
      double top = 0;
      for (Number v : seen) {
        assertTrue(
            v.doubleValue() >= top || v.doubleValue() == 0,
            "the bar never goes back during a run: " + seen);
        top = Math.max(top, v.doubleValue());
      }
      assertEquals(100, seen.get(seen.size() - 1).intValue());
      // the video is playable
      wait.until(
          d ->
              ((Number) js.executeScript("return document.getElementById('player').readyState;"))
                      .intValue()
                  >= 2);
      double duration =
          ((Number) js.executeScript("return document.getElementById('player').duration;"))
              .doubleValue();
      assertTrue(duration > 0, "video duration " + duration);
      assertTrue(
          driver.findElement(By.id("status")).getText().startsWith("done"),
          driver.findElement(By.id("status")).getText());
      // the gallery lists it; "use these settings" puts them back in the form
      wait.until(d -> !d.findElements(By.cssSelector("#gallery li img[src^='blob:']")).isEmpty());
      driver.findElement(By.id("prompt")).clear();
      driver.findElement(By.cssSelector("#gallery li button")).click();
      assertEquals(
          "a red circle moving left", driver.findElement(By.id("prompt")).getDomProperty("value"));
      assertEquals("3", driver.findElement(By.id("seed")).getDomProperty("value"));
      Files.createDirectories(SCREENSHOT.getParent());
      Files.write(SCREENSHOT, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
      System.out.println("page screenshot: " + SCREENSHOT.toAbsolutePath());
    } finally {
      driver.quit();
      service.stop();
    }
  }
}
