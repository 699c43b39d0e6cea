package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KyutaiModelConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static Path golden(String name) throws Exception {
    return Path.of(KyutaiModelConfigTest.class.getResource("/golden/" + name).toURI());
  }

  private static KyutaiModelConfig parse(String json) throws IOException {
    return KyutaiModelConfig.parse(JSON.readTree(json));
  }

  @Test
  void withoutConfigJsonAModelIsMoshi7B() {
    KyutaiModelConfig c = KyutaiModelConfig.defaults();
    assertThat(c.moshiName()).isEqualTo("model.safetensors");
    assertThat(c.mimiName()).isEqualTo("tokenizer-e351c8d8-checkpoint125.safetensors");
    assertThat(c.tokenizerName()).isEqualTo("tokenizer_spm_32k_3.model");
    assertThat(c.mimiConfigName()).isEmpty();
    assertThat(c.modelType()).isEqualTo("moshi");
    assertThat(c.lmConfig()).isEmpty();
    assertThat(c.lmGenConfig().isEmpty()).isTrue();
    assertThat(c.numCodebooks()).isEqualTo(8);
    assertThat(c.requiredFiles())
        .containsExactly(
            "model.safetensors",
            "tokenizer-e351c8d8-checkpoint125.safetensors",
            "tokenizer_spm_32k_3.model");
  }

  @Test
  void anLmOnlyConfigKeepsTheDefaultFileNames() throws Exception {
    KyutaiModelConfig c = KyutaiModelConfig.read(golden("lm_tiny.config.json"));
    assertThat(c.requiredFiles())
        .containsExactly(
            "model.safetensors",
            "tokenizer-e351c8d8-checkpoint125.safetensors",
            "tokenizer_spm_32k_3.model");
    assertThat(c.modelType()).isEqualTo("moshi");
    assertThat(c.lmConfig()).isPresent();
    assertThat(c.lmConfig().get().get("dim").asInt()).isEqualTo(32);
    assertThat(c.lmConfig().get().get("delays")).hasSize(9);
    assertThat(c.lmConfig().get().has("depformer_causal"))
        .isTrue(); // the LM loader drops it, not this
    assertThat(c.numCodebooks()).isEqualTo(4); // max(dep_q 4, n_q 8 - 4)
  }

  @Test
  void theTtsConfigIsSplitLikeTheReferenceSplitsIt() throws Exception {
    KyutaiModelConfig c = KyutaiModelConfig.read(golden("tts_tiny.config.json"));
    assertThat(c.modelType()).isEqualTo("tts");
    assertThat(c.ttsConfig().get("second_stream_ahead").asInt()).isEqualTo(2);
    assertThat(c.ttsConfig().get("audio_delay").asDouble()).isEqualTo(0.32);
    assertThat(c.modelId().get("sig").asText()).isEqualTo("tiny0001");
    assertThat(c.lmGenConfig().get("temp").asDouble()).isEqualTo(0.6);
    assertThat(c.lmConfig().get().has("tts_config")).isFalse();
    assertThat(c.lmConfig().get().has("model_type")).isFalse();
    assertThat(c.lmConfig().get().has("conditioners")).isTrue();
    assertThat(c.numCodebooks()).isEqualTo(8); // max(dep_q 8, 8 - 8)
  }

  @Test
  void sttConfig() throws Exception {
    assertThat(KyutaiModelConfig.read(golden("stt_tiny.config.json")).numCodebooks())
        .isEqualTo(8); // max(0, 8)
    KyutaiModelConfig c =
        parse(
            """
        {"model_type": "stt", "n_q": 32, "dep_q": 0, "mimi_name": "mimi-pytorch-e351c8d8@125.safetensors",
         "tokenizer_name": "tokenizer_en_fr_audio_8000.model",
         "stt_config": {"audio_silence_prefix_seconds": 1.0, "audio_delay_seconds": 2.5}}""");
    assertThat(c.numCodebooks()).isEqualTo(32);
    assertThat(c.sttConfig().get("audio_delay_seconds").asDouble()).isEqualTo(2.5);
    assertThat(c.requiredFiles())
        .containsExactly(
            "model.safetensors",
            "mimi-pytorch-e351c8d8@125.safetensors",
            "tokenizer_en_fr_audio_8000.model");
  }

  @Test
  void everyFileNameCanBeOverridden() throws Exception {
    KyutaiModelConfig c =
        parse(
            """
        {"moshi_name": "model.q8.safetensors", "mimi_name": "hf://kyutai/mimi/mimi.safetensors",
         "mimi_config_name": "file:///opt/mimi.json", "tokenizer_name": "tok.model", "lora_name": "lora.safetensors",
         "model_type": "hibiki", "dim": 64}""");
    assertThat(c.requiredFiles())
        .containsExactly(
            "model.q8.safetensors",
            "hf://kyutai/mimi/mimi.safetensors",
            "tok.model",
            "file:///opt/mimi.json",
            "lora.safetensors");
    assertThat(c.modelType()).isEqualTo("hibiki");
    assertThat(c.lmConfig().get().fieldNames()).toIterable().containsExactly("dim");
    assertThat(c.numCodebooks()).isEqualTo(8); // no n_q / dep_q
  }

  @Test
  void multistreamHalvesTheCodebooks() throws Exception {
    assertThat(
            parse("{\"n_q\": 32, \"dep_q\": 32, \"tts_config\": {\"multistream\": true}}")
                .numCodebooks())
        .isEqualTo(16);
    assertThat(
            parse("{\"n_q\": 32, \"dep_q\": 32, \"tts_config\": {\"multistream\": false}}")
                .numCodebooks())
        .isEqualTo(32);
    assertThat(parse("{\"n_q\": 16, \"dep_q\": 8}").numCodebooks()).isEqualTo(8);
    assertThat(parse("{\"n_q\": 24, \"dep_q\": 8}").numCodebooks()).isEqualTo(16);
  }

  @Test
  void theReturnedSectionsAreCopies() throws Exception {
    KyutaiModelConfig c = parse("{\"lm_gen_config\": {\"temp\": 0.7}, \"n_q\": 8}");
    c.lmGenConfig().put("temp", 0.1);
    c.lmConfig().get().put("n_q", 99);
    assertThat(c.lmGenConfig().get("temp").asDouble()).isEqualTo(0.7);
    assertThat(c.lmConfig().get().get("n_q").asInt()).isEqualTo(8);
  }

  @Test
  void malformedConfigsSayWhatIsWrong() throws Exception {
    Path notJson = Files.writeString(dir.resolve("config.json"), "{nope");
    assertThatThrownBy(() -> KyutaiModelConfig.read(notJson))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not valid JSON");
    Path badName = Files.writeString(dir.resolve("c2.json"), "{\"moshi_name\": 3}");
    assertThatThrownBy(() -> KyutaiModelConfig.read(badName))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("moshi_name");
    assertThatThrownBy(() -> parse("{\"tts_config\": [1]}")).hasMessageContaining("tts_config");
    assertThatThrownBy(() -> parse("[1, 2]")).hasMessageContaining("JSON object");
  }
}
