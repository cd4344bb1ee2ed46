// Registers the playground component kinds with StateFun's module loader
// (found by ServiceLoader, META-INF/services), so a module.yaml written for the
// playground image or for `statefun dev` loads unchanged on the real engine.
package statefun.parity;

import java.util.Map;
import org.apache.flink.statefun.extensions.ExtensionModule;
import org.apache.flink.statefun.sdk.TypeName;

public final class PlaygroundIoModule implements ExtensionModule {
  @Override
  public void configure(Map<String, String> globalConfiguration, Binder binder) {
    binder.bindExtension(
        TypeName.parseFrom("io.statefun.playground.v1/ingress"), new PlaygroundIngressBinder());
    binder.bindExtension(
        TypeName.parseFrom("io.statefun.playground.v1/egress"), new PlaygroundEgressBinder());
  }
}
