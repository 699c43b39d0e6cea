package dev.parley.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.persona.PromptVoices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The Talk tab's prompt box and voice picker in a real browser: shown with the server's prompt
 * voices for a PersonaPlex model, marked experimental for the demo (Moshi) model, hidden without a
 * dialogue model.
 */
class PromptWebAppBrowserTest {
  static final Duration LONG = Duration.ofSeconds(60);
  @TempDir static Path dir;
  static SpeechModel persona;
  static SpeechModel demo;
  static SpeechModel stt;
  static ParleyServer personaServer;
  static ParleyServer demoServer;
  static ParleyServer sttServer;
  static Path speech;
  HeadlessChromium browser;

  @BeforeAll
  static void start() throws Exception {
    HeadlessChromium.require();
    speech = ExternalTools.speechWav(dir, "Hello.");
    persona = PersonaPlexTiny.load(dir);
    demo = DemoModel.build(Device.cpu());
    stt = DemoModel.buildStt(Device.cpu());
    Path voices = Files.createDirectories(dir.resolve("voices"));
    for (String name : List.of("calm", "bright")) {
      WavWriter.writeMono(
          voices.resolve(name + ".wav"), PersonaPlexTiny.voice(), 24000, WavEncoding.PCM_S16);
    }
    ServerConfig config =
        ServerConfig.defaults()
            .withHost("127.0.0.1")
            .withPort(0)
            .withGrpcPort(-1)
            .withMaxSessions(1);
    personaServer = new ParleyServer(persona, config).start();
    personaServer.engine().usePromptVoices(PromptVoices.in(voices));
    demoServer = new ParleyServer(demo, config).start();
    sttServer = new ParleyServer(stt, config).start();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c :
        new AutoCloseable[] {personaServer, demoServer, sttServer, persona, demo, stt}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @BeforeEach
  void openBrowser(@TempDir Path work) throws Exception {
    browser = new HeadlessChromium(work, speech);
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void aPersonaPlexServerShowsThePromptBoxAndListsItsVoices() {
    browser.driver.get(WebAppBrowserTest.url(personaServer));
    browser.await("the prompt box", LONG, d -> browser.find("talk-prompt").isDisplayed());
    List<String> options =
        browser.find("talk-voice").findElements(By.tagName("option")).stream()
            .map(o -> o.getAttribute("value"))
            .toList();
    assertThat(options).containsExactly("", "bright", "calm");
    assertThat(browser.find("talk-prompt-text").getAttribute("maxlength")).isEqualTo("4000");
    assertThat(browser.find("talk-prompt-experimental").isDisplayed()).isFalse();
  }

  @Test
  void aDemoModelServerShowsItMarkedExperimental() {
    browser.driver.get(WebAppBrowserTest.url(demoServer));
    browser.await("the prompt box", LONG, d -> browser.find("talk-prompt").isDisplayed());
    assertThat(browser.find("talk-prompt-experimental").isDisplayed()).isTrue();
  }

  @Test
  void aServerWithoutADialogueModelHidesIt() {
    browser.driver.get(WebAppBrowserTest.url(sttServer));
    browser.await("the missing-model note", LONG, d -> browser.find("talk-missing").isDisplayed());
    assertThat(browser.find("talk-prompt").isDisplayed()).isFalse();
  }
}
