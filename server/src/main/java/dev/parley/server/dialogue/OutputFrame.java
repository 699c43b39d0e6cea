package dev.parley.server.dialogue;

/**
 * One 80 ms frame a dialogue session produced: the model's text token (and its printable text,
 * empty for padding), its audio codes, and their decoded 24 kHz audio.
 *
 * @param index 0-based output frame index within the session
 * @param inputCompletedNanos {@link System#nanoTime()} when the input frame of the step that
 *     produced this frame was complete (the start of the server's latency)
 * @param latencyNanos time from then to this frame being ready (model compute and queueing)
 * @param stepNanos how long the engine step that produced it ran (the batch's model compute); the
 *     rest of the latency is waiting for a step and the transport's own work
 */
public record OutputFrame(
    long index,
    long textToken,
    String text,
    long[] audioCodes,
    float[] pcm,
    long inputCompletedNanos,
    long latencyNanos,
    long stepNanos) {}
