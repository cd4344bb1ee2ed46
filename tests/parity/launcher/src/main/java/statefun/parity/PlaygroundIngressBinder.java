// kind io.statefun.playground.v1/ingress, spec {port}: binds the ingress
// io.statefun.playground/ingress (a Flink source fed by IngressServer) and a
// router that sends each record to the address in its URL, caller absent,
// argument {typename, has_value: true, value: body}.
package statefun.parity;

import com.google.protobuf.ByteString;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.statefun.extensions.ComponentBinder;
import org.apache.flink.statefun.extensions.ComponentJsonObject;
import org.apache.flink.statefun.flink.io.datastream.SourceFunctionSpec;
import org.apache.flink.statefun.sdk.Address;
import org.apache.flink.statefun.sdk.FunctionType;
import org.apache.flink.statefun.sdk.io.IngressIdentifier;
import org.apache.flink.statefun.sdk.io.Router;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.statefun.sdk.spi.StatefulFunctionModule;

final class PlaygroundIngressBinder implements ComponentBinder {
  static final IngressIdentifier<IngressRecord> ID =
      new IngressIdentifier<>(IngressRecord.class, "io.statefun.playground", "ingress");

  @Override
  public void bind(ComponentJsonObject component, StatefulFunctionModule.Binder binder) {
    JsonNode port = component.specJsonNode().get("port");
    if (PlaygroundIo.serve) {
      IngressServer.start(port == null ? 0 : port.asInt());
    }
    binder.bindIngress(new SourceFunctionSpec<>(ID, new IngressSource()));
    binder.bindIngressRouter(ID, new ToAddressRouter());
  }

  private static final class ToAddressRouter implements Router<IngressRecord> {
    @Override
    public void route(IngressRecord record, Downstream<IngressRecord> downstream) {
      TypedValue argument =
          TypedValue.newBuilder()
              .setTypename(record.typename)
              .setHasValue(true)
              .setValue(ByteString.copyFrom(record.value))
              .build();
      // The router's Downstream is typed by the ingress; the engine takes any payload.
      @SuppressWarnings("unchecked")
      Downstream<Object> untyped = (Downstream<Object>) (Downstream<?>) downstream;
      untyped.forward(
          new Address(new FunctionType(record.namespace, record.type), record.id), argument);
    }
  }
}
