// The playground egress's HTTP API, on 127.0.0.1:<port>: any method on
// /<topic> pops one record of that topic. Always HTTP 200, with the intended
// code in a "Status:" header as the image does: 200 + the payload, 404 (empty
// body) when the topic is empty, 405 when the topic is not configured.
// Each topic is an in-memory FIFO of at most 2^20 records; more are dropped.
package statefun.parity;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

final class EgressServer {
  private static final Map<String, ArrayBlockingQueue<byte[]>> TOPICS = new ConcurrentHashMap<>();
  private static HttpServer server;

  private EgressServer() {}

  static synchronized void start(int port, List<String> topics) {
    if (server != null) {
      return; // the module is loaded more than once per JVM (client and task)
    }
    for (String topic : topics) {
      TOPICS.put(topic, new ArrayBlockingQueue<>(1 << 20));
    }
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    } catch (IOException e) {
      throw new IllegalStateException("playground egress cannot listen on port " + port, e);
    }
    server.createContext("/", EgressServer::handle);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
  }

  static void append(String topic, byte[] payload) {
    ArrayBlockingQueue<byte[]> queue = topic == null ? null : TOPICS.get(topic);
    if (queue == null) {
      throw new IllegalArgumentException("Message was targeted to unknown topic " + topic);
    }
    if (!queue.offer(payload)) {
      System.err.println("playground egress: topic " + topic + " is full; record dropped");
    }
  }

  private static void handle(HttpExchange exchange) throws IOException {
    try {
      exchange.getRequestBody().readAllBytes();
      String topic = exchange.getRequestURI().getRawPath().substring(1);
      ArrayBlockingQueue<byte[]> queue = TOPICS.get(topic);
      byte[] record = queue == null ? null : queue.poll();
      int intended = queue == null ? 405 : record == null ? 404 : 200;
      exchange.getResponseHeaders().set("Status", Integer.toString(intended));
      if (record == null) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, record.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(record);
      }
    } finally {
      exchange.close(); // HttpExchange is AutoCloseable only from Java 18
    }
  }
}
