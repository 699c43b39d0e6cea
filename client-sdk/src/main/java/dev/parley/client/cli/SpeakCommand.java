package dev.parley.client.cli;

import dev.parley.client.AudioFormats;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyIterator;
import dev.parley.client.audio.PcmDecoder;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley speak}: text to speech over the Speech service. */
@Command(name = "speak", mixinStandardHelpOptions = true,
    description = {"Synthesize speech with the server's Speech service and write it to a WAV file.",
        "Parley servers answer UNIMPLEMENTED until a text-to-speech engine is loaded; this command then says so."})
final class SpeakCommand implements Callable<Integer> {
  @ParentCommand
  ParleyCli cli;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "TEXT", description = "What to say.")
  String text;

  @Option(names = "--out", required = true, paramLabel = "WAV", description = "Where to write the speech (24 kHz, 16-bit).")
  Path out;

  @Option(names = "--voice", paramLabel = "NAME", description = "A voice from the server's list (default: its default voice).")
  String voice;

  @Override
  public Integer call() throws Exception {
    SynthesizeRequest.Builder request = SynthesizeRequest.newBuilder().setText(text)
        .setOutputFormat(AudioFormats.pcmS16le(AudioFormats.MODEL_RATE));
    if (voice != null) {
      request.setVoice(voice);
    }
    PcmDecoder decoder = new PcmDecoder(request.getOutputFormat());
    ByteArrayOutputStream pcm = new ByteArrayOutputStream();
    try (ParleyClient client = cli.client(); ParleyIterator<SynthesizeResponse> it = client.synthesize(request.build())) {
      while (it.hasNext()) {
        SynthesizeResponse r = it.next();
        if (r.hasAudio()) {
          pcm.writeBytes(r.getAudio().getData().toByteArray());
        } else if (r.hasWord()) {
          spec.commandLine().getOut().printf("%.2f-%.2f %s%n", r.getWord().getStartS(), r.getWord().getEndS(), r.getWord().getText());
        }
      }
    }
    float[] voiceSamples = decoder.decode(pcm.toByteArray());
    WavWriter.writeMono(out, voiceSamples, AudioFormats.MODEL_RATE, WavEncoding.PCM_S16);
    spec.commandLine().getErr().printf("wrote %s (%.2f s)%n", out, voiceSamples.length / (double) AudioFormats.MODEL_RATE);
    return 0;
  }
}
