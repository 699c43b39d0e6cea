package dev.parley.server.stt;

/**
 * One model step of a transcription session (moshi-server's {@code Step} message).
 *
 * @param index 0-based step of the session, counting the silence prefix (step {@code prefixFrames}
 *     is the first to hear the client's audio)
 * @param textToken the text token the step produced
 * @param pauseProbabilities class 0 of each extra head's softmax (empty for a model without extra
 *     heads): the probability that there has been a pause of 0.5/1/2/3 s for heads 0..3
 * @param bufferedSamples client samples received but not yet stepped
 * @param stepNanos how long the engine step (the whole batch) ran
 */
public record SttStep(
    long index, long textToken, float[] pauseProbabilities, int bufferedSamples, long stepNanos) {}
