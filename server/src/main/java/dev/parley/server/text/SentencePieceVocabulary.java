package dev.parley.server.text;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The vocabulary of a SentencePiece {@code .model} file, read straight from its protobuf ({@code
 * ModelProto}: field 1 the pieces, field 2 the trainer spec with the special ids). DJL's binding
 * exposes neither the vocabulary size nor the piece types, and asking the native library for an id
 * past the end is undefined behaviour, so {@link TextTokenizer} checks ids against this.
 */
public final class SentencePieceVocabulary {

  /** {@code SentencePiece.Type} of sentencepiece_model.proto, in enum order (1-based there). */
  public enum PieceType {
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    BYTE
  }

  public record Piece(String piece, float score, PieceType type) {}

  private final List<Piece> pieces;
  private final int unkId;
  private final int bosId;
  private final int eosId;
  private final int padId;

  private SentencePieceVocabulary(List<Piece> pieces, int unkId, int bosId, int eosId, int padId) {
    this.pieces = List.copyOf(pieces);
    this.unkId = unkId;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
  }

  public static SentencePieceVocabulary parse(byte[] model) throws IOException {
    List<Piece> pieces = new ArrayList<>();
    // TrainerSpec defaults: unk 0, bos 1, eos 2, pad -1 (none).
    int[] special = {0, 1, 2, -1};
    CodedInputStream in = CodedInputStream.newInstance(model);
    for (int tag; (tag = in.readTag()) != 0; ) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        pieces.add(piece(in.readByteArray()));
      } else if (field == 2
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        trainerSpec(in.readByteArray(), special);
      } else {
        in.skipField(tag);
      }
    }
    if (pieces.isEmpty()) {
      throw new IOException("not a SentencePiece model: no pieces");
    }
    return new SentencePieceVocabulary(pieces, special[0], special[1], special[2], special[3]);
  }

  private static Piece piece(byte[] bytes) throws IOException {
    String piece = null;
    float score = 0f;
    int type = 1;
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    for (int tag; (tag = in.readTag()) != 0; ) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> piece = in.readString();
        case 2 -> score = in.readFloat();
        case 3 -> type = in.readEnum();
        default -> in.skipField(tag);
      }
    }
    if (piece == null || type < 1 || type > PieceType.values().length) {
      throw new IOException("not a SentencePiece model: malformed piece");
    }
    return new Piece(piece, score, PieceType.values()[type - 1]);
  }

  /** Fields 40-43 of TrainerSpec: unk_id, bos_id, eos_id, pad_id. */
  private static void trainerSpec(byte[] bytes, int[] special) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    for (int tag; (tag = in.readTag()) != 0; ) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field >= 40
          && field <= 43
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
        special[field - 40] = in.readInt32();
      } else {
        in.skipField(tag);
      }
    }
  }

  public int size() {
    return pieces.size();
  }

  public Piece piece(int id) {
    return pieces.get(id);
  }

  public boolean contains(int id) {
    return id >= 0 && id < pieces.size();
  }

  public int unkId() {
    return unkId;
  }

  public int bosId() {
    return bosId;
  }

  public int eosId() {
    return eosId;
  }

  /** The padding id, or -1 when the model has none. */
  public int padId() {
    return padId;
  }
}
