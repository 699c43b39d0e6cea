package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialoguePrompt;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/prompt_voices}: whether the dialogue model takes persona prompts, their limits, and
 * the prompt voices of {@code serve --prompt-voices} (read when asked, so a voice dropped into the
 * folder shows up), and whether prompts are experimental (a Moshi model). The web app's Talk tab
 * shows its prompt box and voice picker from it.
 */
final class PromptVoicesRoute {
  static final String PATH = "/api/prompt_voices";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final DialogueEngine dialogue; // null: no dialogue model

  PromptVoicesRoute(DialogueEngine dialogue) {
    this.dialogue = dialogue;
  }

  void handle(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
    HttpResponses.respond(
        ctx, req, HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(body()));
  }

  Map<String, Object> body() {
    boolean accepts = dialogue != null && dialogue.acceptsPrompts();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("accepts_prompts", accepts);
    Map<String, Object> kinds = new LinkedHashMap<>();
    kinds.put("text", accepts);
    kinds.put("voice", accepts);
    // A Moshi checkpoint was never trained on prompts: they may do little, or derail it.
    kinds.put("experimental", accepts && dialogue.promptsExperimental());
    body.put("prompts", kinds);
    body.put("voices", accepts ? dialogue.promptVoices().names() : List.of());
    if (accepts) {
      body.put("max_text_chars", DialoguePrompt.MAX_TEXT_CHARS);
      body.put("min_voice_seconds", DialoguePrompt.MIN_VOICE_SECONDS);
      body.put("max_voice_seconds", DialoguePrompt.MAX_VOICE_SECONDS);
    }
    return body;
  }
}
