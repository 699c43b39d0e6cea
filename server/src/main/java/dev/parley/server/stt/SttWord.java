package dev.parley.server.stt;

/**
 * One transcribed word and its time span, in seconds from the start of the audio the client sent.
 *
 * @param text the word as the tokenizer decodes it
 * @param startSeconds when the word starts (never negative)
 * @param endSeconds when the word ends (never negative, not before {@code startSeconds})
 */
public record SttWord(String text, double startSeconds, double endSeconds) {}
