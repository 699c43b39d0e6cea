package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
  @TempDir Path home;

  private HubSettings settings(Map<String, String> env) {
    java.util.Map<String, String> all = new java.util.HashMap<>(env);
    all.put("HOME", home.toString());
    return HubSettings.fromEnvironment(Environment.of(all));
  }

  @Test
  void defaultsMatchHuggingfaceHub() {
    HubSettings s = settings(Map.of());
    assertThat(s.cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
    assertThat(s.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
    assertThat(s.token()).isEmpty();
    assertThat(s.offline()).isFalse();
  }

  @Test
  void cacheDirPrecedence() {
    assertThat(settings(Map.of("XDG_CACHE_HOME", "/xdg")).cacheDir())
        .isEqualTo(Path.of("/xdg/huggingface/hub"));
    assertThat(settings(Map.of("XDG_CACHE_HOME", "/xdg", "HF_HOME", "/hf")).cacheDir())
        .isEqualTo(Path.of("/hf/hub"));
    assertThat(settings(Map.of("HF_HOME", "/hf", "HUGGINGFACE_HUB_CACHE", "/legacy")).cacheDir())
        .isEqualTo(Path.of("/legacy"));
    assertThat(
            settings(
                    Map.of(
                        "HF_HOME",
                        "/hf",
                        "HUGGINGFACE_HUB_CACHE",
                        "/legacy",
                        "HF_HUB_CACHE",
                        "/cache"))
                .cacheDir())
        .isEqualTo(Path.of("/cache"));
    assertThat(settings(Map.of("HF_HUB_CACHE", "~/models")).cacheDir())
        .isEqualTo(home.resolve("models"));
  }

  @Test
  void endpointLosesItsTrailingSlash() {
    assertThat(settings(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/")).endpoint())
        .isEqualTo(URI.create("http://127.0.0.1:8080"));
  }

  @Test
  void offlineTakesPythonsTrueSpellings() {
    for (String yes : new String[] {"1", "ON", "yes", "True"}) {
      assertThat(settings(Map.of("HF_HUB_OFFLINE", yes)).offline()).as(yes).isTrue();
    }
    for (String no : new String[] {"0", "false", "off", ""}) {
      assertThat(settings(Map.of("HF_HUB_OFFLINE", no)).offline()).as(no).isFalse();
    }
    assertThat(settings(Map.of("TRANSFORMERS_OFFLINE", "1")).offline()).isTrue();
  }

  @Test
  void tokenFromEnvironmentElseFromTheLoginFile() throws Exception {
    assertThat(settings(Map.of("HF_TOKEN", "hf_env")).token()).contains("hf_env");
    Path tokenFile = home.resolve(".cache/huggingface/token");
    Files.createDirectories(tokenFile.getParent());
    Files.writeString(tokenFile, "hf_file\n");
    assertThat(settings(Map.of()).token()).contains("hf_file");
    assertThat(settings(Map.of("HF_TOKEN", "hf_env")).token()).contains("hf_env");
    Path other = Files.writeString(home.resolve("tok"), "hf_other");
    assertThat(settings(Map.of("HF_TOKEN_PATH", other.toString())).token()).contains("hf_other");
  }
}
