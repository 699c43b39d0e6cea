package dev.parley.server.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.parley.codec.torch.TorchRuntime;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Reports what this build can do and proves the offline libtorch engine loads and computes. */
@Command(
    name = "info",
    description = "Show what this build contains and check the offline PyTorch engine.")
public final class InfoCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    System.out.println(
        "Parley " + ParleyMain.version() + " on Java " + System.getProperty("java.version"));
    Engine engine = TorchRuntime.engine();
    float sum;
    try (NDManager m = TorchRuntime.newManager()) {
      sum = m.arange(1f, 5f).sum().getFloat(); // 1+2+3+4
    }
    System.out.printf(
        "PyTorch %s engine loaded offline on %s (self-check 1+2+3+4 = %.0f)%n",
        engine.getVersion(), engine.defaultDevice(), sum);
    System.out.println();
    System.out.println("Ready in this build:");
    System.out.println(
        "  serve  the dialogue server: Kyutai's /api/chat WebSocket, /metrics, /healthz (default: demo model)");
    System.out.println("  audio  WAV read/write, resampling, streaming Ogg Opus encode/decode");
    System.out.println("  codec  the Mimi neural codec: codec encode / codec decode");
    System.out.println("  lm     the Moshi speech-text LM: lm forward / lm generate");
    System.out.println(
        "  infer  offline dialogue or transcription over a file (--model demo|DIR|REPO)");
    System.out.println("  bench  bench mimi / bench lm");
    System.out.println("         try: java -jar server/target/parley-server.jar infer --help");
    System.out.println("Not yet in this build (see the project's issues):");
    System.out.println(
        "  gRPC, the Java SDK, streaming transcription and speech synthesis services");
    return sum == 10f ? 0 : 1;
  }
}
