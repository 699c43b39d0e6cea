package dev.parley.client.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every ```java block of the README compiles against the SDK as written, so the examples a newcomer
 * copies cannot drift from the API. Each block is a whole source file (imports and a class), named
 * after its public class.
 */
class ReadmeSnippetsTest {
  private static final Pattern JAVA_BLOCK =
      Pattern.compile("^```java\\n(.*?)^```$", Pattern.DOTALL | Pattern.MULTILINE);
  private static final Pattern PUBLIC_CLASS =
      Pattern.compile("^public (?:final )?(?:class|record|interface) (\\w+)", Pattern.MULTILINE);

  @TempDir Path dir;

  @Test
  void everyJavaSnippetOfTheReadmeCompilesAgainstTheSdk() throws IOException {
    String readme = Files.readString(readme());
    List<Path> sources = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(readme);
    while (m.find()) {
      String code = m.group(1);
      Matcher name = PUBLIC_CLASS.matcher(code);
      assertThat(name.find())
          .as("a README java block must be a whole file with a public class:%n%s", code)
          .isTrue();
      Path src = dir.resolve("src" + sources.size()).resolve(name.group(1) + ".java");
      Files.createDirectories(src.getParent());
      Files.writeString(src, code);
      sources.add(src);
    }
    assertThat(sources).as("java blocks in the README").isNotEmpty();

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-d", dir.resolve("classes").toString()));
    args.addAll(List.of("-classpath", testClassPath(), "-proc:none", "-Xlint:none"));
    sources.forEach(s -> args.add(s.toString()));
    StringWriter diagnostics = new StringWriter();
    java.io.OutputStream err =
        new java.io.OutputStream() {
          @Override
          public void write(int b) {
            diagnostics.write(b);
          }
        };
    int status = javac.run(null, null, err, args.toArray(String[]::new));
    assertThat(status).as("javac on the README's java blocks:%n%s", diagnostics).isZero();
    for (Path s : sources) {
      String cls = s.getFileName().toString().replace(".java", ".class");
      assertThat(dir.resolve("classes").resolve(cls)).exists();
    }
  }

  /** Surefire names the real test class path here; java.class.path may be its booter jar. */
  private static String testClassPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  private static Path readme() {
    Path d = Path.of("").toAbsolutePath();
    // The repository root: the folder that holds both the README and the client-sdk module.
    while (d != null
        && !(Files.exists(d.resolve("README.md")) && Files.isDirectory(d.resolve("client-sdk")))) {
      d = d.getParent();
    }
    assertThat(d).as("the repository root above the working directory").isNotNull();
    return d.resolve("README.md");
  }
}
