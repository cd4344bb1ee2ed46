// kind io.statefun.playground.v1/egress, spec {port, topics}: binds the egress
// io.statefun.playground/egress (a Flink sink, EgressSink) and starts
// EgressServer for the listed topics.
package statefun.parity;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.statefun.extensions.ComponentBinder;
import org.apache.flink.statefun.extensions.ComponentJsonObject;
import org.apache.flink.statefun.flink.io.datastream.SinkFunctionSpec;
import org.apache.flink.statefun.sdk.io.EgressIdentifier;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.statefun.sdk.spi.StatefulFunctionModule;

final class PlaygroundEgressBinder implements ComponentBinder {
  static final EgressIdentifier<TypedValue> ID =
      new EgressIdentifier<>("io.statefun.playground", "egress", TypedValue.class);

  @Override
  public void bind(ComponentJsonObject component, StatefulFunctionModule.Binder binder) {
    JsonNode spec = component.specJsonNode();
    JsonNode port = spec.get("port");
    JsonNode topicsNode = spec.get("topics");
    if (topicsNode == null || !topicsNode.isArray()) {
      throw new IllegalArgumentException("playground egress: 'topics' must be a list");
    }
    List<String> topics = new ArrayList<>();
    topicsNode.forEach(t -> topics.add(t.asText()));
    if (PlaygroundIo.serve) {
      EgressServer.start(port == null ? 0 : port.asInt(), topics);
    }
    binder.bindEgress(new SinkFunctionSpec<>(ID, new EgressSink()));
  }
}
