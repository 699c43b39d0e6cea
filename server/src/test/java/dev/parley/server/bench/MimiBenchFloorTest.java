package dev.parley.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.mimi.MimiConfig;
import org.junit.jupiter.api.Test;

/**
 * The weights a streaming Mimi frame reads, against the released checkpoint's own numbers:
 * 96,151,393 values in all, of which 32 codebooks hold 2048 × 256 centroid sums, 2048 usage counts
 * and one flag each; encoding with 8 codebooks searches 8 of them.
 */
class MimiBenchFloorTest {
  private static final long CHECKPOINT_VALUES = 96_151_393L;
  private static final long CODEBOOK = 2048L * 256;

  @Test
  void kyutaiFrameReadsEverythingButTheUnsearchedCodebooks() {
    long expected = CHECKPOINT_VALUES - 32 * (CODEBOOK + 2048 + 1) + 8 * CODEBOOK;
    assertThat(MimiBench.weightBytesPerFrame(MimiConfig.kyutai(), 8, 4)).isEqualTo(4 * expected);
    assertThat(MimiBench.weightBytesPerFrame(MimiConfig.kyutai(), 32, 2))
        .isEqualTo(2 * (expected + 24 * CODEBOOK));
  }
}
