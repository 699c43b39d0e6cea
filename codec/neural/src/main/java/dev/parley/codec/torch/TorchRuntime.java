package dev.parley.codec.torch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way into DJL's PyTorch engine. It switches DJL to offline mode before the engine loads,
 * so libtorch comes from the {@code pytorch-native-*} jar on the classpath (extracted to DJL's
 * cache) and nothing is ever downloaded. Users need not set {@code ai.djl.offline} or {@code
 * PYTORCH_VERSION} themselves; values they do set win.
 */
public final class TorchRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);

  /**
   * libtorch version of the pytorch-jni / pytorch-native artifacts this build pins (from the POM).
   */
  public static final String PYTORCH_VERSION = buildProperty("libtorch.version");

  private static volatile Engine engine;

  /** The marker of a {@code pytorch-native-*} jar on the classpath (the default, CPU build). */
  static final String BUNDLED_NATIVES = "native/lib/pytorch.properties";

  static final String EXTERNAL_LIBTORCH_HINT =
      "this build bundles no libtorch (it was built with -Dgpu): set PYTORCH_LIBRARY_PATH to the"
          + " lib/ folder of libtorch 2.7.1 (for CUDA: libtorch-cxx11-abi-shared-with-deps-2.7.1+cu128"
          + " from pytorch.org), PYTORCH_VERSION=2.7.1 and PYTORCH_FLAVOR=cu128 (cpu for a CPU"
          + " libtorch); deploy/docker/Dockerfile.cuda does exactly this. Or use the default build,"
          + " which bundles the CPU libtorch.";

  private TorchRuntime() {}

  /** Loads (once) and returns the PyTorch engine, offline. */
  public static Engine engine() {
    Engine e = engine;
    if (e == null) {
      synchronized (TorchRuntime.class) {
        e = engine;
        if (e == null) {
          configureOffline();
          String problem =
              libtorchProblem(
                  TorchRuntime.class.getClassLoader().getResource(BUNDLED_NATIVES) != null,
                  TorchRuntime::setting);
          if (problem != null) {
            throw new IllegalStateException(problem);
          }
          e = Engine.getEngine("PyTorch");
          LOG.info(
              "PyTorch engine {} loaded offline; default device {}",
              e.getVersion(),
              name(e.defaultDevice()));
          engine = e;
        }
      }
    }
    return e;
  }

  /** "cpu" or "cuda:N", as --device takes it (DJL's own toString says "cpu()" and "gpu(0)"). */
  public static String name(ai.djl.Device d) {
    return d.getDeviceType().equals("cpu") || d.getDeviceId() < 0
        ? d.getDeviceType()
        : "cuda:" + d.getDeviceId();
  }

  /** A new root manager on the engine's default device; the caller owns and closes it. */
  public static NDManager newManager() {
    return engine().newBaseManager();
  }

  /**
   * Intra-op threads of libtorch (process-wide). Parley steps one batch at a time per device, so
   * inter-op parallelism is left at 1.
   */
  public static void setThreads(int threads) {
    engine();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
  }

  /**
   * The intra-op thread count for a server computing on the CPU: every core but one, at least one.
   * The spare core runs the network threads (Ogg Opus in and out for every session); measured with
   * {@code bench chat} on 2 cores, 16 sessions: 1 libtorch thread gave p99 46 ms and no deadline
   * misses, libtorch's default of 2 gave p99 112 ms and misses (docs/PERFORMANCE.md).
   */
  public static int serverCpuThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
  }

  /** The intra-op thread count libtorch currently uses. */
  public static int threads() {
    engine();
    return ai.djl.pytorch.jni.JniUtils.getNumThreads();
  }

  /**
   * Parses a device name: {@code cpu}, {@code cuda} or {@code cuda:N} (also DJL's {@code gpu:N}). A
   * CUDA device fails clearly when the loaded libtorch has no GPU.
   */
  public static ai.djl.Device device(String name) {
    String n = name.trim().toLowerCase(java.util.Locale.ROOT);
    if (n.equals("cpu")) {
      return ai.djl.Device.cpu();
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(cuda|gpu)(?::(\\d+))?").matcher(n);
    if (!m.matches()) {
      throw new IllegalArgumentException("unknown device '" + name + "' (use cpu, cuda or cuda:N)");
    }
    int index = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    int gpus = engine().getGpuCount();
    if (index >= gpus) {
      throw new IllegalArgumentException(
          "device "
              + name
              + " requested but "
              + (gpus == 0
                  ? "this libtorch sees no CUDA GPU (the CPU build from Maven Central has none; see deploy/README.md)"
                  : "only " + gpus + " GPU(s) are visible"));
    }
    return ai.djl.Device.gpu(index);
  }

  /** A new root manager on {@code device}. */
  public static NDManager newManager(ai.djl.Device device) {
    return engine().newBaseManager(device);
  }

  /**
   * Why libtorch cannot be loaded offline, or null when it can: without bundled natives DJL would
   * try to download them and fail with an unhelpful "Failed to save pytorch index file".
   *
   * @param bundled whether a {@code pytorch-native-*} jar is on the classpath
   * @param setting reads an environment variable or system property (null when unset)
   */
  static String libtorchProblem(boolean bundled, java.util.function.UnaryOperator<String> setting) {
    if (bundled) {
      return null;
    }
    String dir = setting.apply("PYTORCH_LIBRARY_PATH");
    if (dir == null || dir.isBlank()) {
      return "no libtorch: " + EXTERNAL_LIBTORCH_HINT;
    }
    if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(dir, "libtorch.so"))) {
      return "PYTORCH_LIBRARY_PATH=" + dir + " holds no libtorch.so; " + EXTERNAL_LIBTORCH_HINT;
    }
    if (setting.apply("PYTORCH_FLAVOR") == null) {
      return "PYTORCH_FLAVOR is not set (DJL would look for a *-precxx11 JNI library that does not"
          + " exist); "
          + EXTERNAL_LIBTORCH_HINT;
    }
    return null;
  }

  private static String setting(String key) {
    String v = System.getenv(key);
    return v != null ? v : System.getProperty(key);
  }

  /** Sets the properties DJL reads before it loads natives, unless the user already chose. */
  static void configureOffline() {
    setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
    setIfAbsent("PYTORCH_VERSION", "PYTORCH_VERSION", PYTORCH_VERSION);
    // DJL otherwise probes for other engines' providers it may find on the classpath.
    setIfAbsent("ai.djl.default_engine", "DJL_DEFAULT_ENGINE", "PyTorch");
    passiveOpenMp();
  }

  /**
   * libtorch's OpenMP threads spin for milliseconds after each parallel region. Parley runs many
   * tiny operations per step next to network and codec threads, and measured the spinning at 25×
   * slower steps under contention (bench lm tiny, 2 cores: 75 ms vs 2.6 ms). libgomp reads
   * OMP_WAIT_POLICY from the environment when it loads, so it is set here, through libc, before
   * libtorch is loaded — unless the user chose a policy.
   */
  static void passiveOpenMp() {
    if (System.getenv("OMP_WAIT_POLICY") != null || !isLinux()) {
      return;
    }
    try {
      LibC.INSTANCE.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.warn(
          "could not set OMP_WAIT_POLICY=PASSIVE ({}); export it to avoid OpenMP spin-waiting",
          e.toString());
    }
  }

  private static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
  }

  /** The one libc function Parley calls. */
  interface LibC extends com.sun.jna.Library {
    LibC INSTANCE = com.sun.jna.Native.load("c", LibC.class);

    int setenv(String name, String value, int overwrite);
  }

  private static String buildProperty(String key) {
    java.util.Properties p = new java.util.Properties();
    try (java.io.InputStream in = TorchRuntime.class.getResourceAsStream("libtorch.properties")) {
      if (in == null) {
        throw new IllegalStateException("libtorch.properties is missing from the build");
      }
      p.load(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String v = p.getProperty(key);
    if (v == null || v.startsWith("${")) {
      throw new IllegalStateException(
          "libtorch.properties has no " + key + " (the build did not filter it)");
    }
    return v;
  }

  private static void setIfAbsent(String property, String env, String value) {
    if (System.getProperty(property) == null && System.getenv(env) == null) {
      System.setProperty(property, value);
    }
  }
}
