package dev.parley.server.cli;

import ai.djl.ndarray.NDManager;
import dev.parley.codec.torch.TorchRuntime;
import picocli.CommandLine.Option;

/** {@code --device} and {@code --threads}, shared by every command that computes. */
final class DeviceOptions {
  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--threads",
      description =
          "libtorch intra-op threads (default: libtorch's choice; serve: every core but one).")
  Integer threads;

  NDManager manager() {
    if (threads != null) {
      TorchRuntime.setThreads(threads);
    }
    return TorchRuntime.newManager(TorchRuntime.device(device));
  }
}
