package dev.parley.client.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.ParleyClient;
import dev.parley.proto.v1.ModelInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley models}: what the server has loaded. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List the models the server has loaded (Models.List).")
final class ModelsCommand implements Callable<Integer> {
  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "Print one JSON object: {\"models\": [...]}, fields named as in models.proto.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<ModelInfo> models;
    try (ParleyClient client = cli.client()) {
      models = client.models();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (ModelInfo m : models) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", m.getName());
        o.put("type", m.getType().name());
        o.put("sample_rate_hz", m.getSampleRateHz());
        o.put("frame_rate_hz", m.getFrameRateHz());
        o.put("codebooks", m.getCodebooks());
        o.put("text_vocabulary", m.getTextVocabulary());
        o.put("device", m.getDevice());
        o.put("demo", m.getDemo());
        o.put("max_sessions", m.getMaxSessions());
        o.put("active_sessions", m.getActiveSessions());
        list.add(o);
      }
      out.println(new ObjectMapper().writeValueAsString(Map.of("models", list)));
      return 0;
    }
    if (models.isEmpty()) {
      out.println("(the server lists no models)");
      return 0;
    }
    Table t =
        new Table("NAME", "TYPE", "DEVICE", "RATE", "FRAME", "CODEBOOKS", "VOCAB", "SESSIONS");
    for (ModelInfo m : models) {
      t.row(
          m.getDemo() ? m.getName() + " (demo)" : m.getName(),
          m.getType().name(),
          m.getDevice(),
          m.getSampleRateHz() + " Hz",
          String.format(Locale.ROOT, "%.1f Hz", m.getFrameRateHz()),
          Integer.toString(m.getCodebooks()),
          Integer.toString(m.getTextVocabulary()),
          m.getActiveSessions() + "/" + m.getMaxSessions());
    }
    t.print(out);
    if (models.stream().anyMatch(ModelInfo::getDemo)) {
      out.println(
          "(demo): a built-in demo with random weights; its audio is not speech and its text is"
              + " not language.");
    }
    return 0;
  }
}
