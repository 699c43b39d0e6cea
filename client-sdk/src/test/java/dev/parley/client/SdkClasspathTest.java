package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The SDK's classpath is the one an application embedding it gets. */
class SdkClasspathTest {

  @Test
  void noGplResamplerAndNoLibtorchOnTheSdkClasspath() {
    assertThatThrownBy(() -> Class.forName("be.tarsos.dsp.resample.Resampler"))
        .isInstanceOf(ClassNotFoundException.class);
    assertThatThrownBy(() -> Class.forName("ai.djl.engine.Engine"))
        .isInstanceOf(ClassNotFoundException.class);
    assertThatThrownBy(() -> Class.forName("com.sun.jna.Native"))
        .isInstanceOf(ClassNotFoundException.class);
  }

  @Test
  void oggOpusWorksWithoutThem() throws Exception {
    float[] pcm = new float[4800];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (float) (0.3 * Math.sin(2 * Math.PI * 300 * i / 24000.0));
    }
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    try (OggOpusWriter w =
        new OggOpusWriter(OggOpusWriter.Options.speech24k(), stream::writeBytes)) {
      w.write(pcm);
    }
    long[] samples = {0};
    OggOpusReader r = new OggOpusReader(24000, (x, off, n) -> samples[0] += n);
    r.feed(stream.toByteArray());
    r.finish();
    assertThat(samples[0]).isEqualTo(pcm.length);
  }
}
