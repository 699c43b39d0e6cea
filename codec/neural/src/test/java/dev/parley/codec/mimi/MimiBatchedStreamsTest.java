package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Diff;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.testing.Signals;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several streams in one batch behave exactly like separate single streams: the same codes, PCM
 * equal to float rounding; a slot outside the exec mask keeps its state (it is as if the call never
 * happened for it); reset(slot) starts that slot afresh and leaves the others alone. The tiny
 * golden Mimi (context 10 steps = 5 frames) runs 30 frames, so every KV ring wraps. Slot 0 is also
 * checked against the reference's own streaming outputs.
 */
class MimiBatchedStreamsTest {
  static final int FRAMES = 30;
  static final int N = 1920;
  static final int K = 8;
  static NDManager manager;
  static MimiModel mimi;
  static float[][] speech; // 30 frames of golden pcm
  static float[][] reversed; // the same frames in reverse order
  static float[][] shifted; // rotated by 7 frames, at half level
  static long[] goldenStreamCodes;
  static long[] goldenCodes;
  static float[] goldenStreamDecoded;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    mimi =
        MimiModel.load(
            Golden.path("mimi_tiny.safetensors"),
            MimiConfig.fromJson(Golden.path("mimi_tiny.config.json")),
            manager,
            DataType.FLOAT32);
    try (SafeTensorsFile io = Golden.open("mimi_tiny.io.safetensors")) {
      float[] pcm = io.floats("pcm");
      speech = new float[FRAMES][];
      reversed = new float[FRAMES][];
      shifted = new float[FRAMES][];
      for (int f = 0; f < FRAMES; f++) {
        speech[f] = Arrays.copyOfRange(pcm, f * N, (f + 1) * N);
      }
      for (int f = 0; f < FRAMES; f++) {
        reversed[f] = speech[FRAMES - 1 - f];
        shifted[f] = speech[(f + 7) % FRAMES].clone();
        for (int i = 0; i < N; i++) {
          shifted[f][i] *= 0.5f;
        }
      }
      goldenStreamCodes = io.longs("stream_codes");
      goldenCodes = io.longs("codes");
      goldenStreamDecoded = io.floats("stream_decoded");
    }
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Frame f of a golden [1, 8, 30] code tensor. */
  static long[] goldenFrame(long[] codes, int f) {
    long[] c = new long[K];
    for (int k = 0; k < K; k++) {
      c[k] = codes[k * FRAMES + f];
    }
    return c;
  }

  static List<long[]> encodeAlone(List<float[]> frames) {
    List<long[]> out = new ArrayList<>();
    try (MimiStreams s = mimi.newStreams(manager, 1)) {
      for (float[] f : frames) {
        out.add(mimi.encodeFrame(new float[][] {f}, s, ExecMask.all(1))[0]);
      }
    }
    return out;
  }

  static List<float[]> decodeAlone(List<long[]> codes) {
    List<float[]> out = new ArrayList<>();
    try (MimiStreams s = mimi.newStreams(manager, 1)) {
      for (long[] c : codes) {
        out.add(mimi.decodeFrame(new long[][] {c}, s, ExecMask.all(1))[0]);
      }
    }
    return out;
  }

  static void assertSameCodes(String what, List<long[]> actual, List<long[]> expected) {
    assertThat(actual).as(what + " frames").hasSameSizeAs(expected);
    for (int f = 0; f < expected.size(); f++) {
      assertThat(actual.get(f)).as("%s frame %d", what, f).containsExactly(expected.get(f));
    }
  }

  /**
   * Batched and single-stream PCM differ only by summation order: 1e-5 of the peak (measured
   * ~1e-7).
   */
  static void assertSamePcm(String what, List<float[]> actual, List<float[]> expected) {
    float[] a = Signals.concat(actual.toArray(new float[0][]));
    float[] e = Signals.concat(expected.toArray(new float[0][]));
    Diff.assertClose(what, a, e, 1e-5 * Math.max(1, Diff.peak(e)));
  }

  static List<float[]> frames(float[][] x, int from, int to) {
    return Arrays.asList(x).subList(from, to);
  }

  @Test
  void aBatchOfThreeEqualsThreeSingleStreams() {
    float[][][] inputs = {speech, reversed, shifted};
    List<List<long[]>> codes = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<float[]>> pcm = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<long[]>> toDecode = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    try (MimiStreams enc = mimi.newStreams(manager, 3);
        MimiStreams dec = mimi.newStreams(manager, 3)) {
      for (int f = 0; f < FRAMES; f++) {
        long[][] c =
            mimi.encodeFrame(
                new float[][] {inputs[0][f], inputs[1][f], inputs[2][f]}, enc, ExecMask.all(3));
        // slot 0 decodes the golden whole-sequence codes (as the reference's stream_decoded), 1 and
        // 2 their own
        long[][] d = {goldenFrame(goldenCodes, f), c[1], c[2]};
        float[][] p = mimi.decodeFrame(d, dec, ExecMask.all(3));
        for (int b = 0; b < 3; b++) {
          codes.get(b).add(c[b]);
          toDecode.get(b).add(d[b]);
          pcm.get(b).add(p[b]);
        }
      }
    }
    for (int b = 0; b < 3; b++) {
      assertSameCodes("slot " + b, codes.get(b), encodeAlone(frames(inputs[b], 0, FRAMES)));
      assertSamePcm("slot " + b, pcm.get(b), decodeAlone(toDecode.get(b)));
    }
    // and slot 0 is the reference's streaming result
    for (int f = 0; f < FRAMES; f++) {
      assertThat(codes.get(0).get(f))
          .as("stream_codes frame %d", f)
          .containsExactly(goldenFrame(goldenStreamCodes, f));
    }
    Golden.assertClose(
        "stream_decoded", Signals.concat(pcm.get(0).toArray(new float[0][])), goldenStreamDecoded);
    // the three inputs really are different streams
    assertThat(codes.get(1).get(20)).isNotEqualTo(codes.get(0).get(20));
  }

  @Test
  void aSlotOutsideTheExecMaskKeepsItsState() {
    int idleFrom = 5;
    int idleTo = 10; // slot 1 sits out frames 5..9 (10 latent steps: a whole KV ring)
    List<long[]> codes0 = new ArrayList<>();
    List<long[]> codes1 = new ArrayList<>();
    List<long[]> codes2 = new ArrayList<>();
    List<float[]> pcm0 = new ArrayList<>();
    List<float[]> pcm1 = new ArrayList<>();
    List<float[]> pcm2 = new ArrayList<>();
    List<long[]> dec0 = new ArrayList<>();
    List<long[]> dec1 = new ArrayList<>();
    List<long[]> dec2 = new ArrayList<>();
    try (MimiStreams enc = mimi.newStreams(manager, 3);
        MimiStreams dec = mimi.newStreams(manager, 3)) {
      for (int f = 0; f < FRAMES; f++) {
        boolean idle = f >= idleFrom && f < idleTo;
        ExecMask mask = idle ? ExecMask.of(true, false, true) : ExecMask.all(3);
        long[][] c =
            mimi.encodeFrame(
                new float[][] {speech[f], idle ? null : reversed[f], shifted[f]}, enc, mask);
        long[][] d = {goldenFrame(goldenCodes, f), idle ? null : c[1], c[2]};
        float[][] p = mimi.decodeFrame(d, dec, mask);
        codes0.add(c[0]);
        codes2.add(c[2]);
        dec0.add(d[0]);
        dec2.add(d[2]);
        pcm0.add(p[0]);
        pcm2.add(p[2]);
        if (!idle) {
          codes1.add(c[1]);
          dec1.add(d[1]);
          pcm1.add(p[1]);
        }
      }
    }
    List<float[]> seen1 = new ArrayList<>(frames(reversed, 0, idleFrom));
    seen1.addAll(frames(reversed, idleTo, FRAMES));
    assertSameCodes("slot 1 = a stream that never saw the idle frames", codes1, encodeAlone(seen1));
    assertSamePcm("slot 1 decoder", pcm1, decodeAlone(dec1));
    assertSameCodes("slot 0 unaffected", codes0, encodeAlone(frames(speech, 0, FRAMES)));
    assertSamePcm("slot 0 decoder", pcm0, decodeAlone(dec0));
    assertSameCodes("slot 2 unaffected", codes2, encodeAlone(frames(shifted, 0, FRAMES)));
    assertSamePcm("slot 2 decoder", pcm2, decodeAlone(dec2));
    // the skipped frames matter: a stream that did see them encodes differently afterwards
    assertThat(
            encodeAlone(frames(reversed, 0, FRAMES)).subList(idleTo, FRAMES).stream()
                .map(Arrays::toString)
                .toList())
        .isNotEqualTo(
            codes1.subList(idleFrom, codes1.size()).stream().map(Arrays::toString).toList());
  }

  @Test
  void resetStartsOneSlotAfreshAndLeavesTheOthersAlone() {
    int resetAt = 12; // after the rings have wrapped
    List<List<long[]>> codes = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<float[]>> pcm = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<long[]>> decoded = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    try (MimiStreams enc = mimi.newStreams(manager, 3);
        MimiStreams dec = mimi.newStreams(manager, 3)) {
      for (int f = 0; f < FRAMES; f++) {
        if (f == resetAt) {
          enc.reset(2);
          dec.reset(2);
          // slot 1: only its decoder starts over; its encoder carries on
          dec.resetDecoder(1);
        }
        // slot 2 gets `reversed` from its first frame on after the reset
        float[] in2 = f < resetAt ? shifted[f] : reversed[f - resetAt];
        long[][] c =
            mimi.encodeFrame(new float[][] {speech[f], reversed[f], in2}, enc, ExecMask.all(3));
        float[][] p = mimi.decodeFrame(c, dec, ExecMask.all(3));
        for (int b = 0; b < 3; b++) {
          codes.get(b).add(c[b]);
          decoded.get(b).add(c[b]);
          pcm.get(b).add(p[b]);
        }
      }
    }
    // slot 0: untouched
    assertSameCodes("slot 0", codes.get(0), encodeAlone(frames(speech, 0, FRAMES)));
    assertSamePcm("slot 0", pcm.get(0), decodeAlone(decoded.get(0)));
    // slot 1: continuous encoder, decoder restarted at resetAt
    assertSameCodes("slot 1 encoder", codes.get(1), encodeAlone(frames(reversed, 0, FRAMES)));
    assertSamePcm(
        "slot 1 decoder before",
        pcm.get(1).subList(0, resetAt),
        decodeAlone(decoded.get(1).subList(0, resetAt)));
    assertSamePcm(
        "slot 1 decoder after its reset",
        pcm.get(1).subList(resetAt, FRAMES),
        decodeAlone(decoded.get(1).subList(resetAt, FRAMES)));
    // slot 2: a fresh stream from resetAt on
    assertSameCodes(
        "slot 2 before",
        codes.get(2).subList(0, resetAt),
        encodeAlone(frames(shifted, 0, resetAt)));
    assertSameCodes(
        "slot 2 after reset",
        codes.get(2).subList(resetAt, FRAMES),
        encodeAlone(frames(reversed, 0, FRAMES - resetAt)));
    assertSamePcm(
        "slot 2 decoder after reset",
        pcm.get(2).subList(resetAt, FRAMES),
        decodeAlone(decoded.get(2).subList(resetAt, FRAMES)));
    // and the reset mattered: slot 1's decoder without the reset gives different PCM
    List<float[]> continuous = decodeAlone(decoded.get(1)).subList(resetAt, FRAMES);
    assertThat(
            Diff.maxAbs(
                Signals.concat(continuous.toArray(new float[0][])),
                Signals.concat(pcm.get(1).subList(resetAt, FRAMES).toArray(new float[0][]))))
        .isGreaterThan(1e-3);
  }
}
