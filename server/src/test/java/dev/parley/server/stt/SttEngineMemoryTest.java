package dev.parley.server.stt;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Sessions come and go without leaving native memory behind: the arrays the model's managers hold
 * return exactly to their count after many sessions (ended normally, closed mid-stream, or
 * overflowed), and to the count before the engine once it is closed; the process's resident set
 * stays within allocator noise.
 */
class SttEngineMemoryTest {
  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static long heapCommittedKb() {
    return Runtime.getRuntime().totalMemory() / 1024;
  }

  /** One wave: {@code slots} sessions at once, each 1 s of noise; every third closes mid-stream. */
  static void wave(SttEngine engine, int slots, int wave) throws Exception {
    List<Recorder> recorders = new ArrayList<>();
    List<SttSession> sessions = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      Recorder r = new Recorder();
      recorders.add(r);
      SttSession s = engine.open(SttOptions.defaults(), r);
      sessions.add(s);
      float[] pcm = dev.parley.codec.testing.Signals.noise(wave * 100L + i, 24000, 0.2);
      s.offerAudio(pcm, 0, pcm.length);
    }
    for (int i = 0; i < slots; i++) {
      if ((wave + i) % 3 == 0) {
        while (recorders.get(i).steps.size() < 20) {
          Thread.sleep(2);
        }
        sessions.get(i).close();
      } else {
        sessions.get(i).endOfInput();
      }
    }
    for (Recorder r : recorders) {
      r.closed.get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void manySessionsLeaveNoArraysAndNoResidentGrowth() throws Exception {
    try (SpeechModel model = DemoModel.buildStt(Device.cpu())) {
      long arrays0 = model.manager().getManagedArrays().size();
      int slots = 4;
      try (SttEngine engine = new SttEngine(model, slots, 1000)) {
        // Warm-up: resident memory rises for about 10 waves (libtorch's per-shape kernel caches for
        // batch sizes 1..4, allocator arenas), then stays flat (measured over 40 waves).
        int warmUp = 12;
        for (int w = 0; w < warmUp; w++) {
          wave(engine, slots, w);
        }
        System.gc();
        long arrays1 = model.manager().getManagedArrays().size();
        long rss1 = rssKb();
        long heap1 = heapCommittedKb();
        long t0 = System.nanoTime();
        long steps0 = engine.steps();
        int waves = Integer.getInteger("parley.stt.memoryWaves", 15);
        for (int w = warmUp; w < warmUp + waves; w++) {
          wave(engine, slots, w);
          assertThat((long) model.manager().getManagedArrays().size())
              .as("arrays after wave %d", w)
              .isEqualTo(arrays1);
        }
        System.gc();
        long rss2 = rssKb();
        long heap2 = heapCommittedKb();
        long steps = engine.steps() - steps0;
        System.out.printf(
            "STT memory: %d sessions in %d engine steps (batch %d, %.1f ms/step); arrays %d -> %d; "
                + "VmRSS %d kB -> %d kB (%+d kB), Java heap committed %d kB -> %d kB%n",
            waves * slots,
            steps,
            slots,
            (System.nanoTime() - t0) / 1e6 / steps,
            arrays1,
            model.manager().getManagedArrays().size(),
            rss1,
            rss2,
            rss2 - rss1,
            heap1,
            heap2);
        if (rss1 > 0) {
          // As in MimiNativeMemoryTest: what the Java heap newly committed is not native growth.
          long nativeGrowth = rss2 - rss1 - Math.max(0, heap2 - heap1);
          assertThat(nativeGrowth).as("native resident growth (kB)").isLessThanOrEqualTo(32 * 1024);
        }
      }
      assertThat((long) model.manager().getManagedArrays().size())
          .as("arrays after the engine closed")
          .isEqualTo(arrays0);
    }
  }
}
