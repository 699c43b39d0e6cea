package dev.parley.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.tts.SynthesisModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The built-in web app in a real browser (headless Chromium, its fake microphone playing espeak-ng
 * speech) against real servers on loopback with the demo models: Talk over /api/chat with WebCodecs
 * Opus both ways, Transcribe from the microphone and from a file, Speak with the WAV read back by
 * the project's WAV reader, the Server tab, and the API-key dialog on a server with keys.
 * Screenshots go to {@code target/webapp-screenshots/}.
 */
class WebAppBrowserTest {
  static final Duration LONG = Duration.ofSeconds(60);
  static final Path SCREENSHOTS = Path.of("target", "webapp-screenshots");
  static final String KEY = "browser-test-key";
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  static SpeechModel dialogue;
  static SpeechModel stt;
  static SynthesisModel tts;
  static ParleyServer server;
  static ParleyServer keyed;
  static Path speech;
  static Path longSpeech;

  @TempDir static Path dir;

  HeadlessChromium browser;

  @BeforeAll
  static void start() throws Exception {
    HeadlessChromium.require();
    speech =
        ExternalTools.speechWav(
            dir, "Hello Parley. This is a test of the web page, in a real browser.");
    Path longDir = Files.createDirectories(dir.resolve("long"));
    longSpeech =
        ExternalTools.speechWav(
            longDir,
            "This file is uploaded to the transcription page. It holds a few sentences of speech, "
                + "so that the demo model hears enough to write several words with their times.");
    dialogue = DemoModel.build(Device.cpu());
    stt = DemoModel.buildStt(Device.cpu());
    tts = SynthesisModel.demo(Device.cpu());
    ServerConfig config =
        ServerConfig.defaults()
            .withHost("127.0.0.1")
            .withPort(0)
            .withGrpcPort(-1)
            .withMaxSessions(2);
    server = new ParleyServer(dialogue, stt, tts, config).start();
    keyed =
        new ParleyServer(dialogue, null, null, config.withApiKeys(new ApiKeys(Set.of(KEY))))
            .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (keyed != null) {
      keyed.close();
    }
    for (AutoCloseable m : new AutoCloseable[] {dialogue, stt, tts}) {
      try {
        if (m != null) {
          m.close();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @BeforeEach
  void openBrowser(TestInfo test, @TempDir Path work) throws Exception {
    browser = new HeadlessChromium(work, speech);
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  static String url(ParleyServer s) {
    return "http://127.0.0.1:" + s.port() + "/";
  }

  static JsonNode status(ParleyServer s, String key) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url(s) + "api/status"));
    if (key != null) {
      r.header("Authorization", "Bearer " + key);
    }
    HttpResponse<String> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return JSON.readTree(res.body());
  }

  /** The dialogue sessions gauge as /metrics exposes it. */
  static double liveDialogueSessions(ParleyServer s, String key) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url(s) + "metrics"));
    if (key != null) {
      r.header("Authorization", "Bearer " + key);
    }
    String body = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher m =
        Pattern.compile("(?m)^parley_sessions_active(?:\\{[^}]*\\})? (\\S+)$").matcher(body);
    assertThat(m.find()).as("parley_sessions_active in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  double seconds(String id) {
    String v = browser.find(id).getAttribute("data-seconds");
    return v == null ? 0 : Double.parseDouble(v);
  }

  int number(String id) {
    return Integer.parseInt(browser.text(id).trim());
  }

  /** Talks for a while: handshake, pages both ways, audio played, then Disconnect. */
  void talkAndHangUp(ParleyServer s, String key, String screenshot) throws Exception {
    browser.find("talk-connect").click();
    browser.await(
        "the handshake arrives",
        LONG,
        d -> "connected".equals(browser.find("talk-state").getAttribute("data-state")));
    browser.await(
        "Ogg pages go out and come back",
        LONG,
        d -> number("talk-pages-out") > 25 && number("talk-pages-in") > 12);
    browser.await("the player plays the model's audio", LONG, d -> seconds("talk-played") > 1.0);
    double played = seconds("talk-played");
    browser.await("and keeps playing", LONG, d -> seconds("talk-played") > played + 1.0);
    assertThat(status(s, key).path("engines").path("dialogue").path("sessions_live").asInt())
        .isEqualTo(1);
    assertThat(liveDialogueSessions(s, key)).isEqualTo(1.0);
    if (screenshot != null) {
      browser.screenshot(SCREENSHOTS.resolve(screenshot));
    }
    browser.find("talk-connect").click();
    browser.await(
        "Disconnect",
        LONG,
        d -> "disconnected".equals(browser.find("talk-state").getAttribute("data-state")));
    long deadline = System.nanoTime() + LONG.toNanos();
    while (liveDialogueSessions(s, key) != 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(liveDialogueSessions(s, key)).as("sessions after Disconnect").isEqualTo(0.0);
    assertThat(browser.find("talk-error").isDisplayed()).as(browser.text("talk-error")).isFalse();
  }

  @Test
  void talkSendsTheMicrophoneAndPlaysTheModelWhileItsTextStreamsThenDisconnectFreesTheSession()
      throws Exception {
    browser.driver.get(url(server));
    browser.await("the demo banner", LONG, d -> browser.find("demo-banner").isDisplayed());
    assertThat(browser.find("talk-unsupported").isDisplayed()).isFalse();
    talkAndHangUp(server, null, "talk.png");
    assertThat(browser.text("talk-text")).as("the model's text").isNotBlank();
    assertThat(Double.parseDouble(browser.find("talk-latency").getAttribute("data-ms")))
        .as("round trip ms")
        .isPositive();

    // The Server tab: the three demo models, the sessions, and charts from /api/status.
    browser.find("tab-server").click();
    browser.await(
        "the models table",
        LONG,
        d -> d.findElements(By.cssSelector("#server-models tr")).size() == 3);
    List<String> rows = new ArrayList<>();
    for (WebElement tr : browser.driver.findElements(By.cssSelector("#server-models tr"))) {
      rows.add(tr.getText());
    }
    assertThat(rows).hasSize(3).allMatch(r -> r.contains("yes"));
    assertThat(String.join("\n", rows)).contains("dialogue", "transcription", "speech", "cpu");
    browser.await(
        "charts with a few points",
        LONG,
        d ->
            Integer.parseInt(
                        java.util.Objects.requireNonNullElse(
                            browser.find("chart-batch").getAttribute("data-points"), "0"))
                    >= 4
                && browser
                    .find("chart-latency")
                    .getAttribute("aria-label")
                    .matches(".*p50 [0-9.]+.*"));
    assertThat(browser.find("chart-batch").getAttribute("aria-label"))
        .as("an idle server steps no batch")
        .contains("dialogue 0.00");
    assertThat(browser.driver.findElement(By.cssSelector("[data-engine='dialogue']")).getText())
        .isEqualTo("dialogue: 0 / 2");
    browser.screenshot(SCREENSHOTS.resolve("server.png"));

    // The keyboard: arrow keys move between the tabs, and focus follows.
    browser.find("tab-server").sendKeys(org.openqa.selenium.Keys.ARROW_RIGHT);
    browser.await(
        "ArrowRight wraps to Talk",
        LONG,
        d -> "true".equals(browser.find("tab-talk").getAttribute("aria-selected")));
    assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("tab-talk");
    assertThat(browser.find("panel-talk").isDisplayed()).isTrue();
    assertThat(browser.find("panel-server").isDisplayed()).isFalse();

    // A phone's width in dark mode: nothing wider than the screen, the dark palette in use.
    browser.driver.executeCdpCommand(
        "Emulation.setEmulatedMedia",
        java.util.Map.of(
            "features",
            List.of(java.util.Map.of("name", "prefers-color-scheme", "value", "dark"))));
    browser.driver.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        java.util.Map.of("width", 375, "height", 740, "deviceScaleFactor", 1, "mobile", true));
    for (String tab : new String[] {"tab-talk", "tab-transcribe", "tab-speak", "tab-server"}) {
      browser.find(tab).click();
      Object overflow =
          browser.driver.executeScript(
              "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
      assertThat(((Number) overflow).intValue())
          .as("horizontal overflow on " + tab)
          .isLessThanOrEqualTo(0);
    }
    Object background =
        browser.driver.executeScript("return getComputedStyle(document.body).backgroundColor;");
    assertThat(background).isEqualTo("rgb(22, 23, 26)");
    browser.find("tab-talk").click();
    browser.screenshot(SCREENSHOTS.resolve("talk-phone-dark.png"));
  }

  @Test
  void transcribeTheFakeMicrophoneAndAnUploadedFileThenDownloadSubtitles() throws Exception {
    browser.driver.get(url(server) + "#transcribe");
    browser.find("asr-mic").click();
    browser.await("the microphone's words", LONG, d -> words().size() >= 3);
    browser.find("asr-mic").click(); // Stop
    browser.await("the end of the transcription", LONG, d -> "idle".equals(state()));
    assertIncreasing(starts());

    browser.find("asr-file").sendKeys(longSpeech.toAbsolutePath().toString());
    browser.await("the file is sent", LONG, d -> !"idle".equals(state()));
    browser.await("the file's words", LONG, d -> "idle".equals(state()) && words().size() >= 2);
    List<Double> starts = starts();
    assertIncreasing(starts);
    assertThat(browser.find("asr-error").isDisplayed()).as(browser.text("asr-error")).isFalse();
    browser.screenshot(SCREENSHOTS.resolve("transcribe.png"));

    browser.find("asr-srt").click();
    List<double[]> cues = parseSrt(Files.readString(browser.awaitDownload("transcript.srt")));
    assertThat(cues).isNotEmpty();
    double last = -1;
    for (double[] c : cues) {
      assertThat(c[0]).isGreaterThanOrEqualTo(last);
      assertThat(c[1]).isGreaterThan(c[0]);
      last = c[0];
    }
    assertThat(cues.get(0)[0]).isCloseTo(starts.get(0), org.assertj.core.data.Offset.offset(0.002));
    assertThat(cues.stream().mapToInt(c -> (int) c[2]).sum()).isEqualTo(words().size());
  }

  String state() {
    return browser.find("asr-state").getAttribute("data-state");
  }

  List<WebElement> words() {
    return browser.driver.findElements(By.cssSelector("#asr-words .word"));
  }

  List<Double> starts() {
    return words().stream().map(w -> Double.parseDouble(w.getAttribute("data-start"))).toList();
  }

  static void assertIncreasing(List<Double> times) {
    assertThat(times).isNotEmpty();
    for (int i = 1; i < times.size(); i++) {
      assertThat(times.get(i)).as("word %d's time", i).isGreaterThanOrEqualTo(times.get(i - 1));
    }
  }

  /** SRT cues as [start s, end s, word count], read with a parser of SubRip's own layout. */
  static List<double[]> parseSrt(String srt) {
    Pattern cue =
        Pattern.compile(
            "(\\d+)\\n(\\d{2}):(\\d{2}):(\\d{2}),(\\d{3}) --> (\\d{2}):(\\d{2}):(\\d{2}),(\\d{3})\\n(.+)\\n");
    List<double[]> out = new ArrayList<>();
    Matcher m = cue.matcher(srt.replace("\r\n", "\n"));
    int at = 0;
    while (m.find()) {
      assertThat(m.start()).as("nothing between cues").isEqualTo(at);
      assertThat(Integer.parseInt(m.group(1))).isEqualTo(out.size() + 1);
      double start = time(m, 2);
      double end = time(m, 6);
      out.add(new double[] {start, end, m.group(10).trim().split("\\s+").length});
      at = m.end();
      while (at < srt.length() && srt.charAt(at) == '\n') {
        at++;
      }
    }
    assertThat(at).as("the whole file is cues").isEqualTo(srt.length());
    return out;
  }

  static double time(Matcher m, int g) {
    return Integer.parseInt(m.group(g)) * 3600
        + Integer.parseInt(m.group(g + 1)) * 60
        + Integer.parseInt(m.group(g + 2))
        + Integer.parseInt(m.group(g + 3)) / 1000.0;
  }

  @Test
  void speakPlaysTheVoiceHighlightsTheWordsInOrderAndTheWavHasItsDuration() throws Exception {
    browser.driver.get(url(server) + "#speak");
    browser.await(
        "the voices", LONG, d -> d.findElements(By.cssSelector("#tts-voice option")).size() >= 2);
    WebElement text = browser.find("tts-text");
    text.clear();
    text.sendKeys("hello this is a test of the speech page");
    browser.find("tts-speak").click();
    browser.await("audio plays", LONG, d -> seconds("tts-played") > 0.3);
    browser.await("the WAV is ready", LONG, d -> browser.find("tts-wav").isEnabled());
    List<WebElement> spoken = browser.driver.findElements(By.cssSelector("#tts-words .word"));
    assertThat(spoken).hasSizeGreaterThanOrEqualTo(4);
    browser.await(
        "the whole speech played",
        LONG,
        d -> "true".equals(browser.find("tts-played").getAttribute("data-done")));
    double played = seconds("tts-played");
    // Every word that starts within the audio is highlighted once, in order.
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < spoken.size(); i++) {
      if (Double.parseDouble(spoken.get(i).getAttribute("data-start")) < played - 0.05) {
        expected.add(i);
      }
    }
    assertThat(expected).hasSizeGreaterThanOrEqualTo(3);
    List<Integer> order =
        java.util.Arrays.stream(browser.find("tts-words").getAttribute("data-order").split(","))
            .map(Integer::valueOf)
            .toList();
    assertThat(order)
        .as("words highlighted")
        .containsAll(expected)
        .isSorted()
        .doesNotHaveDuplicates();
    assertThat(Double.parseDouble(browser.find("tts-first-audio").getAttribute("data-ms")))
        .isPositive();
    browser.screenshot(SCREENSHOTS.resolve("speak.png"));

    browser.find("tts-wav").click();
    WavAudio wav = WavReader.read(browser.awaitDownload("speech.wav"));
    assertThat(wav.sampleRate()).isEqualTo(24000);
    assertThat(wav.channels()).isEqualTo(1);
    // Whole 80 ms frames, all of which the player played.
    assertThat(wav.samples().length % 1920).isZero();
    assertThat(wav.durationSeconds()).isCloseTo(played, org.assertj.core.data.Offset.offset(0.01));
    assertThat(rms(wav.samples())).as("not silence").isGreaterThan(1e-4);
  }

  static double rms(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v * v;
    }
    return Math.sqrt(s / Math.max(1, x.length));
  }

  @Test
  void aServerWithKeysAsksForOneSaysWhenItIsWrongAndTalksWithTheRightOne() throws Exception {
    browser.driver.get(url(keyed));
    browser.await("the key dialog", LONG, d -> browser.find("key-dialog").isDisplayed());
    assertThat(browser.find("key-message").getAttribute("data-state")).isEqualTo("asked");
    browser.find("key-input").sendKeys("not-the-key");
    browser.driver.findElement(By.cssSelector("#key-dialog button[value='ok']")).click();
    browser.await(
        "the wrong key is called wrong",
        LONG,
        d ->
            browser.find("key-dialog").isDisplayed()
                && "wrong".equals(browser.find("key-message").getAttribute("data-state")));
    assertThat(browser.text("key-message")).contains("not accepted");
    browser.screenshot(SCREENSHOTS.resolve("wrong-key.png"));
    browser.find("key-input").sendKeys(KEY);
    browser.driver.findElement(By.cssSelector("#key-dialog button[value='ok']")).click();
    browser.await("the dialog closes", LONG, d -> !browser.find("key-dialog").isDisplayed());
    talkAndHangUp(keyed, KEY, null);
  }
}
