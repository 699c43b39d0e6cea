package dev.parley.server.tts;

/**
 * A spoken word and when, in seconds from the start of the synthesis's audio: from the step its
 * entry was consumed to the step the next entry (word or break) was, or the text ended (transcript
 * step / 12.5, as the reference's timestamps).
 */
public record TtsWord(int index, String text, double startSeconds, double endSeconds) {}
