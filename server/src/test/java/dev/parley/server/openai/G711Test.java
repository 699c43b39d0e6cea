package dev.parley.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.testing.ExternalTools;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Realtime G.711 decoders against sox's, over all 256 codes of each law. */
class G711Test {
  @Test
  void everyCodeDecodesAsSoxDecodesIt(@TempDir Path dir) throws Exception {
    ExternalTools.require("sox", "sox");
    byte[] codes = new byte[256];
    for (int i = 0; i < 256; i++) {
      codes[i] = (byte) i;
    }
    Path in = dir.resolve("codes.raw");
    Files.write(in, codes);
    for (String law : new String[] {"ul", "al"}) {
      Path out = dir.resolve(law + ".s16");
      ExternalTools.run(
          "sox",
          "-t",
          law,
          "-r",
          "8000",
          "-c",
          "1",
          in.toString(),
          "-t",
          "s16",
          "-e",
          "signed-integer",
          "-b",
          "16",
          "-L",
          out.toString());
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 256; i++) {
        int expected = b.getShort();
        int actual = law.equals("ul") ? RealtimeAudio.ulaw(codes[i]) : RealtimeAudio.alaw(codes[i]);
        assertThat(actual).as(law + " code " + i).isEqualTo(expected);
      }
    }
  }
}
