package dev.parley.codec.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.tensor.SafeTensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Golden vectors copied from the reference implementation's output into test resources. */
public final class Golden {
  private Golden() {}

  public static Path path(String name) {
    try {
      var url = Golden.class.getResource("/golden/" + name);
      if (url == null) {
        throw new IllegalStateException("missing test resource golden/" + name);
      }
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static SafeTensorsFile open(String name) throws IOException {
    return SafeTensorsFile.open(path(name));
  }

  /**
   * The tolerance of the golden vectors (float32 here against the reference's float32 on another
   * build of libtorch): max|a−b| ≤ 1e-4 + 1e-3·max|ref|. Returns the max error.
   */
  public static double assertClose(String what, float[] actual, float[] expected) {
    assertThat(actual).as(what + " length").hasSameSizeAs(expected);
    double peak = 0;
    double err = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.isNaN(expected[i])) {
        continue;
      }
      peak = Math.max(peak, Math.abs(expected[i]));
      err = Math.max(err, Math.abs(actual[i] - expected[i]));
    }
    assertThat(err)
        .as(what + " max abs error (peak " + peak + ")")
        .isLessThanOrEqualTo(1e-4 + 1e-3 * peak);
    return err;
  }
}
