// Runs one module.yaml on the real StateFun engine in this JVM, until killed;
// with --check, only loads module.yaml files (ModuleCheck) and exits 0 when
// the engine accepts them all, 1 otherwise.
//
// Contract: `java ... statefun.parity.Launcher MODULE_YAML TMP_DIR` loads
// MODULE_YAML (any file path) through StateFun's own module loader, with the
// playground ingress/egress kinds of this launcher (PlaygroundIoModule) and the
// engine's own endpoint/Kafka/Kinesis kinds, and runs it as a local Flink job
// (parallelism 1, heap state, no checkpoints: like the playground image, which
// also keeps none). Flink's temporary files go under TMP_DIR; the caller
// removes it. If the job ends (it fails, for instance on a message to a function
// type with no endpoint), the process prints one line starting with
// "PARITY-JOB-ENDED" to stderr and keeps running with its HTTP ports open, as
// the playground image does: later messages are accepted and lost.
package statefun.parity;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.flink.statefun.flink.harness.Harness;

public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && args[0].equals("--check")) {
      System.exit(ModuleCheck.checkAll(java.util.Arrays.copyOfRange(args, 1, args.length)) ? 0 : 1);
    }
    if (args.length != 2) {
      System.err.println("usage: Launcher MODULE_YAML TMP_DIR | Launcher --check MODULE_YAML...");
      System.exit(2);
    }
    File module = new File(args[0]).getAbsoluteFile();
    File tmp = new File(args[1]).getAbsoluteFile();
    if (!module.isFile()) {
      System.err.println("PARITY-JOB-ENDED no such module.yaml: " + module);
      System.exit(2);
    }
    Harness harness =
        new Harness()
            .withParallelism(1)
            .withFlinkJobName("statefun-parity")
            .withConfiguration("statefun.remote.module-name", module.toURI().toString())
            // One message's round trip is ~100 ms with Flink's default of 100 ms.
            .withConfiguration("execution.buffer-timeout", "1 ms")
            .withConfiguration("io.tmp.dirs", tmp.getPath())
            .withConfiguration("state.backend", "hashmap")
            // A failed job stays failed, as in the playground image.
            .withConfiguration("restart-strategy", "none");
    try {
      harness.start();
      System.err.println("PARITY-JOB-ENDED finished");
    } catch (Throwable t) {
      System.err.println("PARITY-JOB-ENDED failed: " + rootMessage(t));
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      System.err.println(trace);
    }
    System.err.flush();
    // The HTTP servers are non-daemon threads: the process lives on until killed.
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getName() + ": " + root.getMessage();
  }
}
