package dev.parley.client.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.ParleyClient;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.Voice;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley voices}: the voices of the server's text-to-speech model. */
@Command(
    name = "voices",
    mixinStandardHelpOptions = true,
    description = {
      "List the voices the server's text-to-speech model speaks with (Speech.ListVoices); "
          + "the default voice is marked with *.",
      "Exit status: 0 done, 2 the server refused or failed (UNIMPLEMENTED: no text-to-speech model)."
    })
final class VoicesCommand implements Callable<Integer> {
  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description =
          "Print one JSON object: {\"voices\": [{\"name\", \"source\", \"default\"}], "
              + "\"default_voice\", \"max_speakers\"}.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ListVoicesResponse voices;
    try (ParleyClient client = cli.client()) {
      voices = client.listVoices();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Voice v : voices.getVoicesList()) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", v.getName());
        o.put("source", v.getSource());
        o.put("default", v.getName().equals(voices.getDefaultVoice()));
        list.add(o);
      }
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("voices", list);
      doc.put("default_voice", voices.getDefaultVoice());
      doc.put("max_speakers", voices.getMaxSpeakers());
      out.println(new ObjectMapper().writeValueAsString(doc));
      return 0;
    }
    if (voices.getVoicesCount() == 0) {
      out.println("(the server lists no voices)");
    } else {
      Table t = new Table("NAME", "SOURCE", "DEFAULT");
      for (Voice v : voices.getVoicesList()) {
        t.row(v.getName(), v.getSource(), v.getName().equals(voices.getDefaultVoice()) ? "*" : "");
      }
      t.print(out);
    }
    out.printf(
        "%d voice%s; default %s; dialogues of up to %d speaker%s%n",
        voices.getVoicesCount(),
        voices.getVoicesCount() == 1 ? "" : "s",
        voices.getDefaultVoice().isEmpty() ? "(none)" : voices.getDefaultVoice(),
        voices.getMaxSpeakers(),
        voices.getMaxSpeakers() == 1 ? "" : "s");
    return 0;
  }
}
