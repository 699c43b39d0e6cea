package dev.parley.client.cli;

import dev.parley.client.Conversation;
import dev.parley.client.ConversationListener;
import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import java.time.Duration;
import java.util.Arrays;

/**
 * One benchmark conversation over gRPC with frame timing on. Besides the server's latency it
 * measures the client's: for output frame k, the arrival of its last audio sample minus the time
 * the last byte of the input frame that produced it was handed to gRPC. The server produces output
 * frame k from input frame k + d, where d (the model's start-up frames without output) is known
 * once the conversation has ended normally: the server answers every input frame it holds before
 * End, so d = input frames − output frames received (Parley: 1; End.frames counts output frames and
 * End.input_frames input frames, but the audio received is what the client saw, and works with
 * servers that count otherwise).
 */
final class GrpcBenchSession {
  private static final int FRAME = ModelAudio.FRAME_SAMPLES;

  private final Conversation conversation;
  private long[] sent = new long[1024];
  private int inputFrames;
  private double[] serverLatency = new double[1024];
  private double[] stepMs = new double[1024];
  private int timings;
  private long outSamples;
  private long[] arrivals = new long[1024];
  private int outFrames;
  private volatile End end;
  private volatile ParleyException error;
  private long firstSend;
  private long streamEnd;
  private long samplesAtStreamEnd;

  GrpcBenchSession(ParleyClient client, ConversationOptions options) {
    this.conversation =
        client.converse(
            options,
            new ConversationListener() {
              @Override
              public void onAudio(byte[] chunk) {
                arrived(chunk.length / 2, System.nanoTime());
              }

              @Override
              public void onTiming(FrameTiming t) {
                timed(t);
              }

              @Override
              public void onEnd(End e) {
                end = e;
              }

              @Override
              public void onError(ParleyException e) {
                error = e;
              }
            });
  }

  /** Sends one 80 ms frame (24 kHz floats) and notes when it was complete (handed over). */
  void send(float[] frame) {
    if (error != null || conversation.isDone()) {
      return;
    }
    byte[] bytes = Pcm.monoToS16le(frame, 0, frame.length);
    // Noted before the hand-over: on a busy machine the reply can arrive before sendAudio returns.
    long now = System.nanoTime();
    try {
      conversation.sendAudio(bytes);
    } catch (ParleyException e) {
      error = e;
      return;
    }
    synchronized (this) {
      if (inputFrames == 0) {
        firstSend = now;
      }
      if (inputFrames == sent.length) {
        sent = Arrays.copyOf(sent, 2 * sent.length);
      }
      sent[inputFrames++] = now;
    }
  }

  void finish(Duration timeout) throws InterruptedException {
    if (error != null) {
      conversation.cancel();
      return;
    }
    try {
      conversation.endInput();
      conversation.awaitEnd(timeout);
    } catch (ParleyException e) {
      if (error == null) {
        error = e;
      }
      conversation.cancel();
    }
  }

  private synchronized void arrived(int samples, long now) {
    outSamples += samples;
    while (outSamples >= (long) (outFrames + 1) * FRAME) {
      if (outFrames == arrivals.length) {
        arrivals = Arrays.copyOf(arrivals, 2 * arrivals.length);
      }
      arrivals[outFrames++] = now;
    }
  }

  private synchronized void timed(FrameTiming t) {
    if (timings == serverLatency.length) {
      serverLatency = Arrays.copyOf(serverLatency, 2 * timings);
      stepMs = Arrays.copyOf(stepMs, 2 * timings);
    }
    serverLatency[timings] = t.getServerLatencyMs();
    stepMs[timings++] = t.getStepMs();
  }

  ParleyException error() {
    return error;
  }

  End end() {
    return end;
  }

  synchronized int inputFrames() {
    return inputFrames;
  }

  synchronized int outputFrames() {
    return outFrames;
  }

  synchronized double[] serverLatencies() {
    return Arrays.copyOf(serverLatency, timings);
  }

  synchronized double[] stepTimes() {
    return Arrays.copyOf(stepMs, timings);
  }

  /** Notes the end of streaming: the real-time factor counts audio received up to here. */
  synchronized void markStreamEnd() {
    streamEnd = System.nanoTime();
    samplesAtStreamEnd = outSamples;
  }

  /**
   * Reply audio seconds received per second of streaming (1.0: the reply keeps up with real time).
   */
  synchronized double realTimeFactor() {
    double wall = (streamEnd - firstSend) / 1e9;
    return wall <= 0 ? Double.NaN : ModelAudio.seconds(samplesAtStreamEnd) / wall;
  }

  /** Client-observed latencies in ms, empty when the frame offset cannot be established. */
  synchronized double[] clientLatencies() {
    if (end == null) {
      return new double[0];
    }
    long d = inputFrames - outFrames;
    if (d < 0) {
      return new double[0];
    }
    int n = (int) Math.max(0, Math.min(outFrames, inputFrames - d));
    double[] out = new double[n];
    for (int k = 0; k < n; k++) {
      out[k] = (arrivals[k] - sent[(int) (k + d)]) / 1e6;
    }
    return out;
  }
}
