package dev.parley.server.text;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A SentencePiece text tokenizer (Kyutai's {@code tokenizer_*.model}) on DJL's native binding.
 *
 * <p>The native library ships inside the {@code ai.djl.sentencepiece} jar (linux x86_64/aarch64,
 * macOS arm64, Windows x86_64); on first use DJL copies it to {@code
 * <cache>/sentencepiece/<version>/} (e.g. {@code 0.2.0-0.34.0}) and loads it from there, where
 * {@code <cache>} is {@code $ENGINE_CACHE_DIR}, else {@code $DJL_CACHE_DIR}, else {@code ~/.djl.ai}
 * (the temp dir when home is not writable). It never downloads and ignores {@code ai.djl.offline},
 * so it works offline with no setting; only that folder must be writable.
 *
 * <p>Ids are checked against the vocabulary before they reach native code, which does not check
 * them itself.
 */
public final class TextTokenizer implements AutoCloseable {
  /**
   * Moshi's text stream: the end-of-padding marker (the {@code <unk>} slot) that precedes a word.
   */
  public static final int END_OF_PADDING_ID = 0;

  /**
   * Moshi's text stream: padding, emitted while no new word starts ({@code
   * existing_text_padding_id}).
   */
  public static final int PADDING_ID = 3;

  private static final String WORD_BOUNDARY = "\u2581";

  private final SpTokenizer tokenizer;
  private final SpProcessor processor;
  private final SentencePieceVocabulary vocabulary;
  private volatile boolean closed;

  private TextTokenizer(SpTokenizer tokenizer, SentencePieceVocabulary vocabulary) {
    this.tokenizer = tokenizer;
    this.processor = tokenizer.getProcessor();
    this.vocabulary = vocabulary;
  }

  public static TextTokenizer load(Path modelFile) throws IOException {
    return fromBytes(Files.readAllBytes(modelFile));
  }

  public static TextTokenizer fromBytes(byte[] model) throws IOException {
    SentencePieceVocabulary vocabulary = SentencePieceVocabulary.parse(model);
    return new TextTokenizer(new SpTokenizer(model), vocabulary);
  }

  /** Token ids of {@code text}, without BOS or EOS (as the reference's {@code encode}). */
  public int[] encode(String text) {
    open();
    return processor.encode(text);
  }

  /**
   * The pieces {@code text} splits into, as the reference's {@code encode(text, out_type=str)}:
   * like {@code idToPiece} of {@link #encode}, except that an unknown character keeps its own
   * spelling where its id would give {@code <unk>}.
   */
  public List<String> encodeAsPieces(String text) {
    open();
    return List.of(processor.tokenize(text));
  }

  public String decode(int[] ids) {
    open();
    for (int id : ids) {
      requireId(id);
    }
    return processor.decode(ids);
  }

  /** The raw piece, with SentencePiece's {@code ▁} word-boundary mark. */
  public String idToPiece(int id) {
    open();
    return processor.getToken(requireId(id));
  }

  /** The piece as Kyutai's servers print it: {@code ▁} becomes a space. */
  public String textOf(int id) {
    return idToPiece(id).replace(WORD_BOUNDARY, " ");
  }

  /**
   * Whether the dialogue server prints this token: not end-of-padding (0) nor padding (3), which
   * are the text stream's silence markers rather than text.
   */
  public boolean isPrintedInDialogue(int id) {
    return id != END_OF_PADDING_ID && id != PADDING_ID;
  }

  /** A control piece such as {@code <s>} or {@code </s>}: markup, not words a client shows. */
  public boolean isControl(int id) {
    return vocabulary.contains(id)
        && vocabulary.piece(id).type() == SentencePieceVocabulary.PieceType.CONTROL;
  }

  public int vocabSize() {
    return vocabulary.size();
  }

  public int unkId() {
    return vocabulary.unkId();
  }

  public int bosId() {
    return vocabulary.bosId();
  }

  public int eosId() {
    return vocabulary.eosId();
  }

  /** The padding id of the model, or -1 when it has none. */
  public int padId() {
    return vocabulary.padId();
  }

  public SentencePieceVocabulary vocabulary() {
    return vocabulary;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      tokenizer.close();
    }
  }

  private int requireId(int id) {
    if (!vocabulary.contains(id)) {
      throw new IllegalArgumentException(
          "token id " + id + " is outside the vocabulary 0.." + (vocabSize() - 1));
    }
    return id;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the tokenizer is closed");
    }
  }
}
