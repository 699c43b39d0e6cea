package dev.parley.server.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttSettings;
import dev.parley.server.stt.SttTestModels;
import dev.parley.server.stt.SttWord;
import dev.parley.server.stt.WordAssembler;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offline transcription: the reference driver's tokens on the golden model, consistent words on
 * demo-stt.
 */
class OfflineTranscriptionTest {
  @TempDir Path dir;

  @Test
  void theGoldenModelGivesTheReferenceDriversTokens() throws Exception {
    long[] golden;
    try (SafeTensorsFile f = Golden.open("stt_tiny.words.safetensors")) {
      golden = f.longs("text_tokens");
    }
    try (SpeechModel model = SttTestModels.goldenModel(dir)) {
      OfflineTranscription.Result r = OfflineTranscription.run(model, SttTestModels.goldenPcm());
      assertThat(r.textTokens()).containsExactly(golden); // 13 prefix + 30 audio + 32 flush steps
      assertThat(r.steps()).isEqualTo(75);
      assertThat(r.words()).isEmpty(); // the golden words: none
      assertThat(r.pauseProbabilities()).hasSize(75).allSatisfy(p -> assertThat(p).hasSize(2));
      assertThat(r.settings().offsetSeconds()).isEqualTo(3.5);
    }
  }

  @Test
  void demoSttTranscribesSpeechInAnyRateWithConsistentWords() throws Exception {
    Path wav =
        ExternalTools.speechWav(
            dir,
            "The robot sings a quiet song. Streaming speech recognition turns "
                + "audio into words.",
            16000);
    WavAudio in = WavReader.read(wav);
    float[] pcm = StreamingResampler.resample(in.samples(), 16000, 24000);
    try (SpeechModel model = DemoModel.buildStt(Device.cpu())) {
      OfflineTranscription.Result r = OfflineTranscription.run(model, pcm);
      SttSettings s = r.settings();
      int frames = (pcm.length + 1919) / 1920;
      assertThat(r.steps()).isEqualTo(s.prefixFrames() + frames + s.delayFrames());
      assertThat(r.textTokens()).hasSize(r.steps());
      assertThat(r.audioSeconds()).isEqualTo(pcm.length / 24000.0);
      // The words are the reference's tokens_to_timestamped_text of the tokens.
      assertThat(r.words())
          .isEqualTo(
              WordAssembler.transcribe(
                  r.textTokens(), model.tokenizer(), s.frameRate(), s.offsetSeconds()));
      double last = 0;
      double latest =
          frames * 0.08 + (s.prefixFrames() + s.delayFrames()) / s.frameRate() - s.offsetSeconds();
      for (SttWord w : r.words()) {
        assertThat(w.text()).isNotBlank().doesNotContainAnyWhitespaces();
        assertThat(w.startSeconds())
            .isGreaterThanOrEqualTo(last)
            .isLessThanOrEqualTo(w.endSeconds());
        assertThat(w.endSeconds()).isLessThanOrEqualTo(latest + 1e-9);
        last = w.startSeconds();
      }
      assertThat(r.text())
          .isEqualTo(String.join(" ", r.words().stream().map(SttWord::text).toList()));
      // Same audio, same result (greedy, deterministic).
      assertThat(OfflineTranscription.run(model, pcm).textTokens()).containsExactly(r.textTokens());
    }
  }

  @Test
  void emptyAudioStillRunsThePrefixAndFlush() throws Exception {
    try (SpeechModel model = DemoModel.buildStt(Device.cpu())) {
      OfflineTranscription.Result r = OfflineTranscription.run(model, new float[0]);
      assertThat(r.steps()).isEqualTo(r.settings().prefixFrames() + r.settings().delayFrames());
      assertThat(r.audioSeconds()).isZero();
    }
  }

  @Test
  void aLongFileIsFedInAWindowWithoutOverflow() throws Exception {
    float[] pcm =
        new float
            [1920 * (OfflineTranscription.WINDOW * 4) + 100]; // many windows, a partial last frame
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (float) (0.2 * Math.sin(2 * Math.PI * 180 * i / 24000.0));
    }
    try (SpeechModel model = DemoModel.buildStt(Device.cpu())) {
      OfflineTranscription.Result r = OfflineTranscription.run(model, pcm);
      assertThat(r.steps())
          .isEqualTo(
              r.settings().prefixFrames()
                  + OfflineTranscription.WINDOW * 4
                  + 1
                  + r.settings().delayFrames());
    }
  }

  @Test
  void aDialogueModelIsRefused() {
    try (SpeechModel model = DemoModel.build(Device.cpu())) {
      assertThatThrownBy(() -> OfflineTranscription.run(model, new float[1920]))
          .hasMessageContaining("not a transcription model");
    }
  }

  @Test
  void offlineInferenceDelegatesTranscriptionModels() throws Exception {
    try (SpeechModel model = SttTestModels.goldenModel(dir)) {
      OfflineInference.Result r =
          OfflineInference.run(
              model,
              SttTestModels.goldenPcm(),
              dev.parley.server.lm.SamplingParams.GREEDY,
              dev.parley.server.lm.SamplingParams.GREEDY,
              0);
      assertThat(r.pcm()).isEmpty();
      assertThat(r.steps()).isEqualTo(75);
      assertThat(r.textTokens()).hasSize(75);
      List<SttWord> none = List.of();
      assertThat(r.text()).isEqualTo(TranscriptFormats.joined(none));
    }
  }
}
