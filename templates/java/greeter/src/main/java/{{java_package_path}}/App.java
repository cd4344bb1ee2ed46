package {{java_package}};

import java.util.concurrent.CompletableFuture;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.message.EgressMessageBuilder;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * {{project}}: the StateFun greeter, written with the official Java SDK
 * (org.apache.flink:statefun-sdk-java 3.3.0).
 *
 * <ul>
 *   <li>{{namespace}}/person counts each person's visits (state `visits`) and asks
 *       {{namespace}}/greeter to greet them.
 *   <li>{{namespace}}/greeter turns a visit count into a greeting on the playground egress
 *       topic `greetings`.
 * </ul>
 */
public final class App {
  /** The JSON message both functions receive. */
  public record GreetRequest(String name, int visits) {}

  /** What the playground egress expects. */
  public record EgressRecord(String topic, String payload) {}

  // An ingress request says which message it carries in its Content-Type:
  // application/vnd.{{namespace}}/GreetRequest.
  static final Type<GreetRequest> GREET_REQUEST =
      StatefunServer.jsonType("{{namespace}}/GreetRequest", GreetRequest.class);
  static final Type<EgressRecord> EGRESS_RECORD =
      StatefunServer.jsonType("io.statefun.playground/EgressRecord", EgressRecord.class);
  static final TypeName PLAYGROUND_EGRESS =
      TypeName.typeNameFromString("io.statefun.playground/egress");

  static final TypeName PERSON = TypeName.typeNameFromString("{{namespace}}/person");
  static final TypeName GREETER = TypeName.typeNameFromString("{{namespace}}/greeter");
  static final ValueSpec<Integer> VISITS = ValueSpec.named("visits").withIntType();

  static CompletableFuture<Void> person(Context context, Message message) {
    String name = message.as(GREET_REQUEST).name();
    // A state that was never written is empty.
    int visits = context.storage().get(VISITS).orElse(0) + 1;
    context.storage().set(VISITS, visits);
    context.send(
        MessageBuilder.forAddress(GREETER, name)
            .withCustomType(GREET_REQUEST, new GreetRequest(name, visits))
            .build());
    return context.done();
  }

  static String greetingFor(String name, int visits) {
    switch (visits) {
      case 1:
        return "Hello " + name + "! Nice to meet you.";
      case 2:
        return "Hello " + name + "! Good to see you again.";
      default:
        return "Hello " + name + "! This is visit number " + visits + ".";
    }
  }

  static CompletableFuture<Void> greeter(Context context, Message message) {
    GreetRequest request = message.as(GREET_REQUEST);
    context.send(
        EgressMessageBuilder.forEgress(PLAYGROUND_EGRESS)
            .withCustomType(
                EGRESS_RECORD,
                new EgressRecord("greetings", greetingFor(request.name(), request.visits())))
            .build());
    return context.done();
  }

  public static void main(String[] args) {
    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(PERSON).withValueSpec(VISITS).withSupplier(() -> App::person));
    functions.withStatefulFunction(
        StatefulFunctionSpec.builder(GREETER).withSupplier(() -> App::greeter));
    StatefunServer.serve(functions);
  }
}
