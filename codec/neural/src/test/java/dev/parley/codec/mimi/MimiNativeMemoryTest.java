package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming must not grow native memory: every tensor a frame creates has to die with the frame.
 * DJL attaches an operation's result to the manager of its receiver, so one {@code state.concat(x)}
 * or {@code weight.sub(x)} inside a step silently parks per-frame tensors in a long-lived manager.
 * Two measures: the number of arrays the managers hold (exact: must not change), and the process's
 * resident set (VmRSS, which also sees native memory no manager tracks).
 */
class MimiNativeMemoryTest {
  /**
   * Frames measured after warm-up. The issue asks for 10000 (13 min of audio); on the 2-core
   * development machine one real-Mimi frame (encode + decode, B = 1, CPU) took 48.6 ms with the
   * machine otherwise idle and 72-83 ms under load, so 10000 frames take 8-14 minutes (a full
   * 10000-frame run: 72.5 ms/frame, RSS 1153 MB → 888 MB, 579 → 579 arrays). The default CI ({@code
   * CI=true}) runs the full 10000 the issue asks for (about 8 minutes at the current 46 ms/frame);
   * a local run defaults to 2000 (+500 warm-up, 2-3.5 minutes), which still catches any leak above
   * about 18 KiB per frame (see {@link #allowedGrowthKb}). Override with {@code
   * -Dparley.mimi.memoryFrames=N}.
   */
  static final int FRAMES =
      Integer.getInteger(
          "parley.mimi.memoryFrames", "true".equalsIgnoreCase(System.getenv("CI")) ? 10000 : 2000);

  /**
   * Frames before the first measurement: the KV rings fill after 125 frames, and glibc's arenas and
   * mmap threshold settle (measured: RSS grows for about 400 frames, then stays flat).
   */
  static final int WARMUP = Integer.getInteger("parley.mimi.memoryWarmupFrames", 500);

  static final int SAMPLE_EVERY = 100;

  @TempDir Path dir;

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  static long heapCommittedKb() {
    return Runtime.getRuntime().totalMemory() / 1024;
  }

  /**
   * Allowed RSS growth after warm-up: 32 MiB for allocator noise (measured: +7 MiB over 2600
   * frames, in 6 MiB steps) plus 2 KiB per frame. A leak of any per-frame tensor of the real model
   * (the smallest activations are tens of KiB; the conv states copied each frame ~100 KiB) exceeds
   * that within a few hundred frames; the leak this test was written against grew 21 MiB per frame.
   */
  static long allowedGrowthKb(int frames) {
    return 32 * 1024 + 2L * frames;
  }

  @Test
  void tinyMimiFramesLeaveNoArraysBehind() throws IOException {
    try (NDManager root = TorchRuntime.newManager()) {
      MimiModel m =
          MimiModel.load(
              Golden.path("mimi_tiny.safetensors"),
              MimiConfig.fromJson(Golden.path("mimi_tiny.config.json")),
              root,
              DataType.FLOAT32);
      float[] noise = dev.parley.codec.testing.Signals.noise(1, 1920, 0.3);
      try (MimiStreams s = m.newStreams(root, 2)) {
        ExecMask[] masks = {ExecMask.all(2), ExecMask.of(true, false), ExecMask.of(false, true)};
        m.decodeFrame(m.encodeFrame(new float[][] {noise, noise}, s, masks[0]), s, masks[0]);
        long before = root.getManagedArrays().size();
        for (int f = 0; f < 12; f++) {
          ExecMask mask = masks[f % 3];
          long[][] codes = m.encodeFrame(new float[][] {noise, noise}, s, mask);
          m.decodeFrame(codes, s, mask);
          // the NDArray API, with the caller's scope
          try (NDManager scope = root.newSubManager()) {
            NDArray pcm =
                scope
                    .create(noise, new Shape(1, 1, 1920))
                    .tile(new long[] {2, 1, 2}); // 2 streams x 2 frames
            NDArray c = m.encodeStep(pcm, s, mask);
            m.decodeStep(c, s, mask).toFloatArray();
            m.encodeLatentStep(pcm, s, mask).toFloatArray();
          }
        }
        assertThat((long) root.getManagedArrays().size())
            .as("arrays held after 12 frames")
            .isEqualTo(before);
      }
    }
  }

  @Test
  void realMimiStreamsSpeechWithFlatNativeMemory() throws Exception {
    Assumptions.assumeTrue(
        Files.isReadable(Path.of("/proc/self/status")), "VmRSS needs Linux /proc");
    ExternalTools.require("espeak-ng", "espeak-ng");
    ExternalTools.require("sox", "sox");
    Path raw = dir.resolve("speech.wav");
    ExternalTools.run(
        "espeak-ng",
        "-v",
        "en-us",
        "-s",
        "160",
        "-w",
        raw.toString(),
        "The quick brown fox jumps over the lazy dog. Streaming speech through a neural codec "
            + "for hours must never grow the memory of the server. Every frame comes and goes.");
    Path wav = dir.resolve("speech-24k.wav");
    ExternalTools.run(
        "sox",
        raw.toString(),
        "-e",
        "floating-point",
        "-b",
        "32",
        wav.toString(),
        "rate",
        "-v",
        "24000");
    WavAudio audio = WavReader.read(wav);
    assertThat(audio.sampleRate()).isEqualTo(24000);
    float[] speech = audio.samples();
    assertThat(audio.durationSeconds()).isGreaterThan(3);

    try (NDManager root = TorchRuntime.newManager()) {
      MimiModel mimi = MimiModel.random(MimiConfig.kyutai(), root, 7);
      try (MimiStreams streams = mimi.newStreams(root, 1)) {
        ExecMask all = ExecMask.all(1);
        int[] pos = {0};
        float[][] frame = new float[1][1920];
        Runnable step =
            () -> {
              for (int i = 0; i < 1920; i++) {
                frame[0][i] = speech[pos[0]];
                pos[0] = (pos[0] + 1) % speech.length; // the speech, looped
              }
              float[] out =
                  mimi.decodeFrame(mimi.encodeFrame(frame, streams, all), streams, all)[0];
              if (out.length != 1920 || !Float.isFinite(out[0])) {
                throw new AssertionError("bad output frame");
              }
            };
        for (int f = 0; f < WARMUP; f++) {
          step.run();
        }
        System.gc();
        long arrays0 = root.getManagedArrays().size();
        long rss0 = rssKb();
        long heap0 = heapCommittedKb();
        long t0 = System.nanoTime();
        long allowed = allowedGrowthKb(FRAMES);
        for (int f = 1; f <= FRAMES; f++) {
          step.run();
          if (f % SAMPLE_EVERY == 0 || f == FRAMES) {
            long grown = rssKb() - rss0 - Math.max(0, heapCommittedKb() - heap0);
            assertThat((long) root.getManagedArrays().size())
                .as("arrays held after %d frames", f)
                .isEqualTo(arrays0);
            assertThat(grown)
                .as("native RSS growth after %d frames (kB)", f)
                .isLessThanOrEqualTo(allowed);
          }
        }
        double msPerFrame = (System.nanoTime() - t0) / 1e6 / FRAMES;
        System.gc();
        long rss1 = rssKb();
        long heap1 = heapCommittedKb();
        System.out.printf(
            "Mimi memory soak: %d frames after %d warm-up, %.1f ms/frame (encode+decode); VmRSS %d kB -> %d kB "
                + "(%+d kB), Java heap committed %d kB -> %d kB, managed arrays %d -> %d%n",
            FRAMES,
            WARMUP,
            msPerFrame,
            rss0,
            rss1,
            rss1 - rss0,
            heap0,
            heap1,
            arrays0,
            root.getManagedArrays().size());
        assertThat(rss1 - rss0 - Math.max(0, heap1 - heap0)).isLessThanOrEqualTo(allowed);
      }
    }
  }
}
