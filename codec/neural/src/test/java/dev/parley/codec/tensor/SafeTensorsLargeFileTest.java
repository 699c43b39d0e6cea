package dev.parley.codec.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint larger than 2 GiB (and 4 GiB), built as a sparse file: only the header and a few
 * tensors are real bytes, the U8 padding tensors between them are holes. Tensors sit across the 2
 * GiB boundary, beyond it and beyond 4 GiB, so any int truncation of a file position shows.
 */
class SafeTensorsLargeFileTest {
  private static final long GIB = 1L << 30;
  private static final int HEADER =
      1024; // header padded to a fixed size so absolute positions are known

  @TempDir Path dir;

  @Test
  void tensorsBeyondTwoAndFourGibReadCorrectly() throws Exception {
    long dataStart = 8 + HEADER;
    // relative offsets in the data section; contiguous (pads fill the gaps), as the format requires
    long nearBegin = 0;
    long nearEnd = nearBegin + 8; // F32 [2]
    long straddleBegin = 2 * GIB - 8 - dataStart; // absolute position 2^31 - 8: crosses 2^31
    long straddleEnd = straddleBegin + 16; // F32 [4]
    long farBegin = 2 * GIB + 1000;
    long farEnd = farBegin + 12; // F32 [3]
    long fartherBegin = 5 * GIB + 24; // beyond 4 GiB, after a 3 GiB hole
    long fartherEnd = fartherBegin + 16; // I64 [2]
    String header =
        "{"
            + entry("near", "F32", "2", nearBegin, nearEnd)
            + ","
            + entry("pad1", "U8", Long.toString(straddleBegin - nearEnd), nearEnd, straddleBegin)
            + ","
            + entry("straddle", "F32", "4", straddleBegin, straddleEnd)
            + ","
            + entry("pad2", "U8", Long.toString(farBegin - straddleEnd), straddleEnd, farBegin)
            + ","
            + entry("far", "F32", "3", farBegin, farEnd)
            + ","
            + entry("pad3", "U8", Long.toString(fartherBegin - farEnd), farEnd, fartherBegin)
            + ","
            + entry("farther", "I64", "2", fartherBegin, fartherEnd)
            + "}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    assertThat(h.length).isLessThanOrEqualTo(HEADER);
    byte[] padded = new byte[HEADER];
    java.util.Arrays.fill(padded, (byte) ' ');
    System.arraycopy(h, 0, padded, 0, h.length);

    Path f = dir.resolve("big.safetensors");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.write(le(8).putLong(HEADER).array());
      raf.write(padded);
      raf.setLength(dataStart + fartherEnd); // sparse: no blocks are written for the holes
      raf.seek(dataStart + nearBegin);
      raf.write(le(8).putFloat(1.25f).putFloat(-2f).array());
      raf.seek(dataStart + straddleBegin);
      raf.write(le(16).putFloat(10f).putFloat(20f).putFloat(30f).putFloat(40f).array());
      raf.seek(dataStart + farBegin);
      raf.write(le(12).putFloat(-0.5f).putFloat(Float.MAX_VALUE).putFloat(7f).array());
      raf.seek(dataStart + fartherBegin);
      raf.write(le(16).putLong(Long.MIN_VALUE + 3).putLong(123456789012345L).array());
    }
    assertThat(Files.size(f)).isGreaterThan(5 * GIB);

    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThat(st.tensors()).hasSize(7);
      assertThat(st.floats("near")).containsExactly(1.25f, -2f);
      assertThat(dataStart + st.info("straddle").begin()).isLessThan(2 * GIB);
      assertThat(dataStart + st.info("straddle").end()).isGreaterThan(2 * GIB);
      assertThat(st.floats("straddle")).containsExactly(10f, 20f, 30f, 40f);
      assertThat(st.floats("far")).containsExactly(-0.5f, Float.MAX_VALUE, 7f);
      assertThat(st.longs("farther")).containsExactly(Long.MIN_VALUE + 3, 123456789012345L);
      // a single tensor of 2 GiB or more cannot be one buffer: a clear error, not a wrapped size
      assertThat(st.info("pad3").byteLength()).isGreaterThan(Integer.MAX_VALUE);
      assertThatThrownBy(() -> st.bytes("pad3"))
          .isInstanceOf(SafeTensorsException.class)
          .hasMessageContaining("pad3 is larger than 2 GiB");
    }
  }

  private static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":["
        + shape
        + "],\"data_offsets\":["
        + begin
        + ","
        + end
        + "]}";
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }
}
