package dev.parley.server.engine;

/**
 * One 80 ms frame a dialogue session produced: the model's text token (and its printable text,
 * empty for padding), its audio codes, and their decoded 24 kHz audio.
 *
 * @param index 0-based output frame index within the session
 * @param latencyNanos time from the matching input frame being complete to this frame being ready
 */
public record OutputFrame(long index, long textToken, String text, long[] audioCodes, float[] pcm, long latencyNanos) {}
