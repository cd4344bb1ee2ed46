package {{java_package}};

import java.util.concurrent.CompletableFuture;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.message.EgressMessageBuilder;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * {{project}}: one function to start from, written with the official Java SDK
 * (org.apache.flink:statefun-sdk-java 3.3.0).
 *
 * <p>{{namespace}}/hello counts the messages each id received (state `count`) and writes a line
 * to the playground egress topic `out`.
 */
public final class App {
  /** What the playground egress expects. */
  public record EgressRecord(String topic, String payload) {}

  static final Type<EgressRecord> EGRESS_RECORD =
      StatefunServer.jsonType("io.statefun.playground/EgressRecord", EgressRecord.class);
  static final TypeName PLAYGROUND_EGRESS =
      TypeName.typeNameFromString("io.statefun.playground/egress");

  static final TypeName HELLO = TypeName.typeNameFromString("{{namespace}}/hello");
  static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();

  static CompletableFuture<Void> hello(Context context, Message message) {
    // Your code goes here. The message is in `message` (message.as(type)), the id in
    // context.self().id(), this id's state in context.storage().
    int count = context.storage().get(COUNT).orElse(0) + 1;
    context.storage().set(COUNT, count);
    String line = "hello " + context.self().id() + " (message " + count + ")";
    context.send(
        EgressMessageBuilder.forEgress(PLAYGROUND_EGRESS)
            .withCustomType(EGRESS_RECORD, new EgressRecord("out", line))
            .build());
    return context.done();
  }

  public static void main(String[] args) {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(HELLO).withValueSpec(COUNT).withSupplier(() -> App::hello));
    StatefunServer.serve(functions);
  }
}
