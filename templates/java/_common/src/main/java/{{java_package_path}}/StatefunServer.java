package {{java_package}};

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.apache.flink.statefun.sdk.java.types.SimpleType;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * Serves StateFun functions over HTTP with Undertow: each POST body is one
 * request of StateFun's request-reply protocol, on any path (module.yaml uses
 * /statefun). Also makes JSON message types with Jackson.
 */
final class StatefunServer {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private StatefunServer() {}

  /** A message or state type whose values are JSON, e.g. {{namespace}}/GreetRequest. */
  static <T> Type<T> jsonType(String typename, Class<T> javaType) {
    return SimpleType.simpleImmutableTypeFrom(
        TypeName.typeNameFromString(typename),
        JSON::writeValueAsBytes,
        bytes -> JSON.readValue(bytes, javaType));
  }

  /** `value` as compact JSON, e.g. a record with its fields in declaration order. */
  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot write JSON", e);
    }
  }

  /**
   * Serves `functions` on $PORT (default 8000) until the process ends. Only this machine can reach
   * it unless $HOST says otherwise (HOST=0.0.0.0 in a container, where the StateFun runtime
   * connects from elsewhere).
   */
  static void serve(StatefulFunctions functions) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8000"));
    String host = System.getenv().getOrDefault("HOST", "");
    if (host.isEmpty()) {
      host = "127.0.0.1";
    }
    Undertow.builder()
        .addHttpListener(port, host)
        .setHandler(new RequestReplyHttpHandler(functions.requestReplyHandler()))
        .build()
        .start();
    System.out.println("functions listening on " + host + ":" + port);
  }

  private static final class RequestReplyHttpHandler implements HttpHandler {
    private final RequestReplyHandler handler;

    RequestReplyHttpHandler(RequestReplyHandler handler) {
      this.handler = handler;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
      exchange.getRequestReceiver().receiveFullBytes(this::onBody);
    }

    private void onBody(HttpServerExchange exchange, byte[] body) {
      exchange.dispatch(); // the reply is sent when the functions are done
      handler
          .handle(Slices.wrap(body))
          .whenComplete(
              (reply, error) -> {
                if (error != null) {
                  error.printStackTrace();
                  exchange.setStatusCode(500);
                  exchange.endExchange();
                  return;
                }
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
                exchange.getResponseSender().send(reply.asReadOnlyByteBuffer());
              });
    }
  }
}
