package dev.parley.codec.mimi;

import static dev.parley.codec.mimi.MimiBatchedStreamsTest.assertSameCodes;
import static dev.parley.codec.mimi.MimiBatchedStreamsTest.assertSamePcm;
import static dev.parley.codec.mimi.MimiBatchedStreamsTest.decodeAlone;
import static dev.parley.codec.mimi.MimiBatchedStreamsTest.encodeAlone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.nn.ExecMask;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the server's engines rely on to compute only their live rows: a call with n rows steps
 * streams 0..n−1 and leaves the others exactly as they were, and {@link MimiStreams#move} carries a
 * stream to another slot mid-way (conv histories, transposed-conv overlaps, both transformers' KV
 * rings and positions). The tiny golden Mimi's rings wrap every 5 frames, so the moved rings have
 * wrapped.
 */
class MimiStreamsMoveTest {
  @BeforeAll
  static void load() throws IOException {
    MimiBatchedStreamsTest.load();
  }

  @AfterAll
  static void close() {
    MimiBatchedStreamsTest.close();
  }

  /** The frames each of three streams took, its codes, what its decoder got and gave. */
  static final class Stream {
    final float[][] input;
    final List<float[]> seen = new ArrayList<>();
    final List<long[]> codes = new ArrayList<>();
    final List<float[]> pcm = new ArrayList<>();
    int next;

    Stream(float[][] input) {
      this.input = input;
    }
  }

  /**
   * One call of {@code rows} rows over {@code bySlot} (null: the slot sits out under the mask);
   * each stepping stream takes its next frame.
   */
  static void call(MimiStreams enc, MimiStreams dec, Stream[] bySlot, int rows) {
    float[][] pcm = new float[rows][];
    boolean[] active = new boolean[rows];
    for (int s = 0; s < rows; s++) {
      if (bySlot[s] != null) {
        pcm[s] = bySlot[s].input[bySlot[s].next++];
        active[s] = true;
      }
    }
    ExecMask mask = ExecMask.of(active);
    long[][] c = MimiBatchedStreamsTest.mimi.encodeFrame(pcm, enc, mask);
    long[][] d = new long[rows][];
    for (int s = 0; s < rows; s++) {
      d[s] = active[s] ? c[s] : null;
    }
    float[][] p = MimiBatchedStreamsTest.mimi.decodeFrame(d, dec, mask);
    for (int s = 0; s < rows; s++) {
      if (active[s]) {
        bySlot[s].seen.add(pcm[s]);
        bySlot[s].codes.add(c[s]);
        bySlot[s].pcm.add(p[s]);
      }
    }
  }

  static void assertAsAlone(String what, Stream s) {
    assertThat(s.seen).as(what + " took frames").isNotEmpty();
    assertSameCodes(what, s.codes, encodeAlone(s.seen));
    assertSamePcm(what, s.pcm, decodeAlone(s.codes));
  }

  @Test
  void aStreamMovedToALowerSlotGoesOnAsIfAlone() {
    Stream a = new Stream(MimiBatchedStreamsTest.speech);
    Stream b = new Stream(MimiBatchedStreamsTest.reversed);
    Stream c = new Stream(MimiBatchedStreamsTest.shifted);
    try (MimiStreams enc =
            MimiBatchedStreamsTest.mimi.newStreams(MimiBatchedStreamsTest.manager, 4);
        MimiStreams dec =
            MimiBatchedStreamsTest.mimi.newStreams(MimiBatchedStreamsTest.manager, 4)) {
      Stream[] slots = {a, b, c, null};
      for (int f = 0; f < 8; f++) {
        call(enc, dec, slots, 3);
      }
      // c pauses while the calls have two rows: slot 2 is not computed and keeps its state
      for (int f = 0; f < 3; f++) {
        call(enc, dec, slots, 2);
      }
      // a leaves: c moves from slot 2 into slot 0, b goes on in slot 1
      enc.move(2, 0);
      dec.move(2, 0);
      slots = new Stream[] {c, b, null, null};
      for (int f = 0; f < 7; f++) {
        call(enc, dec, slots, 2);
      }
      // b leaves too: c is alone, one row
      for (int f = 0; f < 6; f++) {
        call(enc, dec, new Stream[] {c}, 1);
      }
    }
    assertThat(c.seen).hasSize(21);
    assertAsAlone("stream moved 2 → 0", c);
    assertAsAlone("stream that stayed in slot 1", b);
    assertAsAlone("stream that left", a);
  }

  @Test
  void aStreamMovedUpOverAnotherSlotsOldStateKeepsItsOwn() {
    // b in slot 0 and a in slot 1; b leaves, a new stream d is started in slot 0 (reset), a moves
    // nowhere; then d leaves and a moves into slot 0 over d's state.
    Stream a = new Stream(MimiBatchedStreamsTest.speech);
    Stream b = new Stream(MimiBatchedStreamsTest.reversed);
    Stream d = new Stream(MimiBatchedStreamsTest.shifted);
    try (MimiStreams enc =
            MimiBatchedStreamsTest.mimi.newStreams(MimiBatchedStreamsTest.manager, 2);
        MimiStreams dec =
            MimiBatchedStreamsTest.mimi.newStreams(MimiBatchedStreamsTest.manager, 2)) {
      for (int f = 0; f < 6; f++) {
        call(enc, dec, new Stream[] {b, a}, 2);
      }
      enc.reset(0);
      dec.reset(0);
      for (int f = 0; f < 6; f++) {
        call(enc, dec, new Stream[] {d, a}, 2);
      }
      enc.move(1, 0);
      dec.move(1, 0);
      for (int f = 0; f < 6; f++) {
        call(enc, dec, new Stream[] {a}, 1);
      }
    }
    assertAsAlone("a, moved 1 → 0", a);
    assertAsAlone("b", b);
    assertAsAlone("d, started in b's slot", d);
  }

  @Test
  void aCallWithMoreRowsThanStreamsIsRefused() {
    try (MimiStreams enc =
        MimiBatchedStreamsTest.mimi.newStreams(MimiBatchedStreamsTest.manager, 1)) {
      float[] f = MimiBatchedStreamsTest.speech[0];
      assertThatThrownBy(
              () ->
                  MimiBatchedStreamsTest.mimi.encodeFrame(
                      new float[][] {f, f}, enc, ExecMask.all(2)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("does not fit");
    }
  }
}
