package dev.parley.client.sound;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.DataLine;
import javax.sound.sampled.Line;
import javax.sound.sampled.LineUnavailableException;
import javax.sound.sampled.Mixer;

/**
 * Finds and opens a 16-bit PCM line, trying the rate the caller wants first, then the rates sound
 * cards commonly run at, mono before stereo. When nothing opens, the error lists what was tried and
 * which mixers the JVM sees, so "no sound card" and "wrong format" read differently.
 */
final class LineFinder {
  private static final int[] COMMON_RATES = {48000, 44100, 32000, 24000, 22050, 16000};

  private LineFinder() {}

  /** Formats to try, best first. */
  static List<AudioFormat> candidates(int preferredRate) {
    Set<Integer> rates = new LinkedHashSet<>();
    rates.add(preferredRate);
    for (int r : COMMON_RATES) {
      rates.add(r);
    }
    List<AudioFormat> out = new ArrayList<>();
    for (int channels = 1; channels <= 2; channels++) {
      for (int rate : rates) {
        out.add(new AudioFormat(rate, 16, channels, true, false));
      }
    }
    return out;
  }

  /** Opens the first candidate a line supports, with a buffer of about {@code bufferMillis}. */
  static <L extends DataLine> L open(
      Class<L> type, int preferredRate, int bufferMillis, String what) {
    List<String> refused = new ArrayList<>();
    for (AudioFormat f : candidates(preferredRate)) {
      DataLine.Info info = new DataLine.Info(type, f);
      if (!AudioSystem.isLineSupported(info)) {
        continue;
      }
      try {
        Line line = AudioSystem.getLine(info);
        L typed = type.cast(line);
        int bytes = (int) (f.getFrameRate() * f.getFrameSize() * bufferMillis / 1000);
        openLine(typed, f, bytes);
        return typed;
      } catch (LineUnavailableException | IllegalArgumentException | SecurityException e) {
        refused.add(f + ": " + e.getMessage());
      }
    }
    throw new SoundDeviceException(describeFailure(what, preferredRate, refused));
  }

  private static void openLine(DataLine line, AudioFormat f, int bytes)
      throws LineUnavailableException {
    if (line instanceof javax.sound.sampled.TargetDataLine t) {
      t.open(f, bytes);
    } else if (line instanceof javax.sound.sampled.SourceDataLine s) {
      s.open(f, bytes);
    } else {
      throw new IllegalArgumentException("not a capture or playback line: " + line);
    }
  }

  private static String describeFailure(String what, int preferredRate, List<String> refused) {
    StringBuilder m = new StringBuilder("no " + what + " available");
    Mixer.Info[] mixers = AudioSystem.getMixerInfo();
    if (mixers.length == 0) {
      m.append(": the JVM sees no sound device at all (no sound card, or no access to it)");
    } else {
      m.append(": no line takes 16-bit PCM at ")
          .append(preferredRate)
          .append(" Hz or the usual rates, mono or stereo;")
          .append(" mixers seen: ");
      for (int i = 0; i < mixers.length; i++) {
        m.append(i == 0 ? "" : ", ").append(mixers[i].getName());
      }
    }
    for (String r : refused) {
      m.append("; refused ").append(r);
    }
    return m.toString();
  }
}
