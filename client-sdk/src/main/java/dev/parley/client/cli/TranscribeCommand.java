package dev.parley.client.cli;

import dev.parley.client.AudioFormats;
import dev.parley.client.ParleyClient;
import dev.parley.client.TranscriptionListener;
import dev.parley.client.TranscriptionSession;
import dev.parley.client.audio.Resampler;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.Word;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley transcribe}: streaming speech to text over the Transcription service. */
@Command(name = "transcribe", mixinStandardHelpOptions = true,
    description = {"Transcribe a WAV file with the server's Transcription service.",
        "Parley servers answer UNIMPLEMENTED until a speech-to-text engine is loaded; this command then says so."})
final class TranscribeCommand implements Callable<Integer> {
  @ParentCommand
  ParleyCli cli;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "WAV", description = "Audio to transcribe (any rate; sent as 24 kHz PCM).")
  Path in;

  @Override
  public Integer call() throws Exception {
    WavAudio wav = WavReader.read(in);
    float[] pcm = Resampler.resample(wav.samples(), wav.sampleRate(), AudioFormats.MODEL_RATE);
    PrintWriter out = spec.commandLine().getOut();
    try (ParleyClient client = cli.client()) {
      TranscriptionSession s = client.transcribe(
          TranscribeConfig.newBuilder().setInputFormat(AudioFormats.pcmS16le(AudioFormats.MODEL_RATE)).build(),
          new TranscriptionListener() {
            @Override
            public void onWord(Word word) {
              out.print(word.getText() + " ");
              out.flush();
            }
          });
      for (int off = 0; off < pcm.length; off += 1920) {
        s.awaitReady(Duration.ofSeconds(30));
        s.sendAudio(Pcm.monoToS16le(pcm, off, Math.min(1920, pcm.length - off)));
      }
      s.endInput();
      FinalTranscript t = s.awaitFinal(Duration.ofSeconds(60 + pcm.length / AudioFormats.MODEL_RATE));
      out.println();
      out.println(t.getText());
      return 0;
    }
  }
}
