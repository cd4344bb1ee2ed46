// `Launcher --check MODULE_YAML...`: loads each module.yaml with the real
// engine's module loader and runs the engine's own validation, without
// starting a job (no Flink cluster, no ports: about a second per JVM).
//
// Prints one line per file, "PARITY-CHECK ok <file>" or
// "PARITY-CHECK rejected <file>: <the engine's root error>", and returns
// whether all were accepted. The validator (at least one ingress, router and
// function provider) is package-private in StateFun, so it is called
// reflectively: the engine's own rules, not a copy of them.
package statefun.parity;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.statefun.flink.core.StatefulFunctionsConfig;
import org.apache.flink.statefun.flink.core.StatefulFunctionsUniverse;
import org.apache.flink.statefun.flink.core.spi.Modules;

final class ModuleCheck {
  private ModuleCheck() {}

  static boolean checkAll(String[] files) {
    PlaygroundIo.serve = false; // binding a playground kind must not open its port
    boolean allAccepted = true;
    for (String file : files) {
      File module = new File(file).getAbsoluteFile();
      try {
        check(module);
        System.out.println("PARITY-CHECK ok " + module);
      } catch (Throwable t) {
        allAccepted = false;
        System.out.println("PARITY-CHECK rejected " + module + ": " + Launcher.rootMessage(t));
      }
    }
    System.out.flush();
    return allAccepted;
  }

  private static void check(File module) throws Exception {
    if (!module.isFile()) {
      throw new IllegalArgumentException("no such file");
    }
    Configuration flink = new Configuration();
    flink.setString("statefun.remote.module-name", module.toURI().toString());
    StatefulFunctionsConfig config = StatefulFunctionsConfig.fromFlinkConfiguration(flink);
    StatefulFunctionsUniverse universe =
        Modules.loadFromClassPath(config).createStatefulFunctionsUniverse();
    Class<?> validator =
        Class.forName("org.apache.flink.statefun.flink.core.StatefulFunctionsUniverseValidator");
    Constructor<?> make = validator.getDeclaredConstructor();
    make.setAccessible(true);
    Method validate = validator.getDeclaredMethod("validate", StatefulFunctionsUniverse.class);
    validate.setAccessible(true);
    try {
      validate.invoke(make.newInstance(), universe);
    } catch (InvocationTargetException e) {
      throw (Exception) e.getCause();
    }
  }
}
