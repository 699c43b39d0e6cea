package dev.parley.server.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the tokenizer against what the reference Python sentencepiece produced for
 * golden/tokenizer_tiny.model (golden/README.md section (e)).
 */
class TextTokenizerTest {
  private static JsonNode golden;
  private static TextTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in =
        TextTokenizerTest.class.getResourceAsStream("/golden/tokenizer_tiny.examples.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    tokenizer = TextTokenizer.load(resource("tokenizer_tiny.model"));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static Path resource(String name) throws Exception {
    return Path.of(TextTokenizerTest.class.getResource("/golden/" + name).toURI());
  }

  @Test
  void encodesEveryExampleToTheReferenceIds() {
    assertThat(golden.get("examples")).hasSizeGreaterThanOrEqualTo(10);
    for (JsonNode e : golden.get("examples")) {
      assertThat(tokenizer.encode(e.get("text").asText()))
          .as(e.get("text").asText())
          .containsExactly(ints(e.get("ids")));
    }
  }

  @Test
  void piecesOfEveryExampleMatch() {
    for (JsonNode e : golden.get("examples")) {
      assertThat(tokenizer.encodeAsPieces(e.get("text").asText()))
          .as(e.get("text").asText())
          .containsExactlyElementsOf(strings(e.get("pieces")));
    }
  }

  @Test
  void idToPieceOfTheIdsGivesThePiecesExceptForUnknownCharacters() {
    for (JsonNode e : golden.get("examples")) {
      int[] ids = ints(e.get("ids"));
      List<String> expected = strings(e.get("pieces"));
      for (int i = 0; i < ids.length; i++) {
        assertThat(tokenizer.idToPiece(ids[i]))
            .as(e.get("text").asText() + " token " + i)
            .isEqualTo(ids[i] == 0 ? "<unk>" : expected.get(i));
      }
    }
  }

  @Test
  void decodesEveryExampleToTheReferenceText() {
    for (JsonNode e : golden.get("examples")) {
      assertThat(tokenizer.decode(ints(e.get("ids"))))
          .as(e.get("text").asText())
          .isEqualTo(e.get("decoded").asText());
    }
  }

  @Test
  void unknownCharactersDecodeToTheUnknownMark() {
    JsonNode unknown = null;
    for (JsonNode e : golden.get("examples")) {
      if (e.get("text").asText().equals("xyz unknown qqq")) {
        unknown = e;
      }
    }
    assertThat(unknown).isNotNull();
    assertThat(ints(unknown.get("ids"))).contains(0);
    assertThat(tokenizer.decode(ints(unknown.get("ids")))).isEqualTo("xy \u2047  unknown qqq");
  }

  @Test
  void bosAndEosWrapTheIdsAsInTheReference() {
    for (JsonNode e : golden.get("examples")) {
      int[] ids = ints(e.get("ids"));
      int[] wrapped = new int[ids.length + 2];
      wrapped[0] = tokenizer.bosId();
      System.arraycopy(ids, 0, wrapped, 1, ids.length);
      wrapped[ids.length + 1] = tokenizer.eosId();
      assertThat(wrapped).containsExactly(ints(e.get("ids_with_bos_eos")));
    }
  }

  @Test
  void idToPieceSamplesAndTheirPrintedText() {
    for (JsonNode s : golden.get("id_to_piece_decode_examples")) {
      int id = s.get("id").asInt();
      assertThat(tokenizer.idToPiece(id)).isEqualTo(s.get("piece").asText());
      assertThat(tokenizer.textOf(id)).isEqualTo(s.get("piece_with_space").asText());
    }
  }

  @Test
  void vocabularyMatchesTheReferenceListing() {
    assertThat(tokenizer.vocabSize()).isEqualTo(64).isEqualTo(golden.get("vocab_size").asInt());
    JsonNode vocab = golden.get("vocab");
    assertThat(vocab).hasSize(64);
    for (JsonNode v : vocab) {
      int id = v.get("id").asInt();
      SentencePieceVocabulary.Piece p = tokenizer.vocabulary().piece(id);
      assertThat(p.piece()).isEqualTo(v.get("piece").asText());
      assertThat(tokenizer.idToPiece(id)).isEqualTo(v.get("piece").asText());
      assertThat(p.score()).isEqualTo((float) v.get("score").asDouble());
      assertThat(p.type().name()).isEqualToIgnoringCase(v.get("type").asText());
    }
  }

  @Test
  void specialIds() {
    JsonNode special = golden.get("special_ids");
    assertThat(tokenizer.unkId()).isEqualTo(special.get("unk").asInt()).isZero();
    assertThat(tokenizer.bosId()).isEqualTo(special.get("bos").asInt()).isEqualTo(1);
    assertThat(tokenizer.eosId()).isEqualTo(special.get("eos").asInt()).isEqualTo(2);
    assertThat(tokenizer.padId()).isEqualTo(special.get("pad").asInt()).isEqualTo(3);
    assertThat(tokenizer.idToPiece(0)).isEqualTo("<unk>");
    assertThat(tokenizer.idToPiece(1)).isEqualTo("<s>");
    assertThat(tokenizer.idToPiece(2)).isEqualTo("</s>");
    assertThat(tokenizer.idToPiece(3)).isEqualTo("<pad>");
  }

  @Test
  void dialogueHidesEndOfPaddingAndPadding() {
    assertThat(tokenizer.isPrintedInDialogue(0)).isFalse();
    assertThat(tokenizer.isPrintedInDialogue(3)).isFalse();
    assertThat(tokenizer.isPrintedInDialogue(1)).isTrue();
    assertThat(tokenizer.isPrintedInDialogue(2)).isTrue();
    assertThat(tokenizer.isPrintedInDialogue(20)).isTrue();
    // <s> and </s> are control pieces: a live chat does not send them as text.
    assertThat(tokenizer.isControl(1)).isTrue();
    assertThat(tokenizer.isControl(2)).isTrue();
    assertThat(tokenizer.isControl(20)).isFalse();
  }

  @Test
  void idsOutsideTheVocabularyAreRefusedBeforeNativeCode() {
    assertThatThrownBy(() -> tokenizer.idToPiece(64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..63");
    assertThatThrownBy(() -> tokenizer.idToPiece(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokenizer.decode(new int[] {4, 1000}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aClosedTokenizerRefusesWork() throws Exception {
    TextTokenizer t = TextTokenizer.load(resource("tokenizer_tiny.model"));
    assertThat(t.encode("Hello")).isNotEmpty();
    t.close();
    t.close();
    assertThatThrownBy(() -> t.encode("Hello")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aFileThatIsNoModelIsRefused() {
    assertThatThrownBy(() -> TextTokenizer.fromBytes("{\"not\": \"a model\"}".getBytes()))
        .isInstanceOf(IOException.class);
  }

  static int[] ints(JsonNode a) {
    int[] r = new int[a.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = a.get(i).asInt();
    }
    return r;
  }

  static List<String> strings(JsonNode a) {
    List<String> r = new ArrayList<>();
    a.forEach(n -> r.add(n.asText()));
    return r;
  }
}
