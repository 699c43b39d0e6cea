package dev.parley.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import org.junit.jupiter.api.Test;

class AudioFormatProtoTest {

  @Test
  void encodingNumbersAreTheWireContract() {
    // Clients in other languages depend on these numbers; renumbering them is a breaking change.
    assertThat(Encoding.ENCODING_UNSPECIFIED.getNumber()).isZero();
    assertThat(Encoding.PCM_S16LE.getNumber()).isEqualTo(1);
    assertThat(Encoding.PCM_F32LE.getNumber()).isEqualTo(2);
    assertThat(Encoding.OGG_OPUS.getNumber()).isEqualTo(3);
    assertThat(Encoding.OPUS.getNumber()).isEqualTo(4);
  }

  @Test
  void audioFormatHasTheProto3WireBytes() throws InvalidProtocolBufferException {
    AudioFormat format =
        AudioFormat.newBuilder()
            .setEncoding(Encoding.OGG_OPUS)
            .setSampleRateHz(48000)
            .setChannels(1)
            .build();
    // field 1 varint 3, field 2 varint 48000 (0x80 0xF7 0x02), field 3 varint 1
    byte[] expected = {0x08, 0x03, 0x10, (byte) 0x80, (byte) 0xF7, 0x02, 0x18, 0x01};
    assertThat(format.toByteArray()).containsExactly(expected);
    assertThat(AudioFormat.parseFrom(expected)).isEqualTo(format);
  }
}
