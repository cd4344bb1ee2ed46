// The playground ingress's HTTP API, on 127.0.0.1:<port> (the image listens on
// 0.0.0.0; tests never need more than loopback).
//
// Any method, path /<namespace>/<type>/<id> (trailing empty segments dropped),
// body = the message bytes. The first Content-Type value starting with
// "application/vnd." gives the typename (the rest, verbatim); any other value
// gives io.statefun.types/string; no Content-Type at all is a real HTTP 500.
// Otherwise the answer is always HTTP 200 with an empty body and the intended
// code in a "Status:" header (200 accepted, 500 bad path), as the image does.
//
// One server per JVM, started when the module loader binds the kind (not by
// Launcher --check); accepted records wait in a bounded queue that
// IngressSource drains. The server outlives the Flink job on purpose: after a
// job failure, messages are still accepted and then lost.
package statefun.parity;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

final class IngressServer {
  private static final String VND = "application/vnd.";
  static final BlockingQueue<IngressRecord> QUEUE = new LinkedBlockingQueue<>(1 << 20);
  private static HttpServer server;

  private IngressServer() {}

  static synchronized void start(int port) {
    if (server != null) {
      return; // the module is loaded more than once per JVM (client and task)
    }
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    } catch (IOException e) {
      throw new IllegalStateException("playground ingress cannot listen on port " + port, e);
    }
    server.createContext("/", IngressServer::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  private static void handle(HttpExchange exchange) throws IOException {
    try {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      List<String> contentTypes = exchange.getRequestHeaders().get("Content-Type");
      if (contentTypes == null) {
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      String typename = "io.statefun.types/string";
      for (String value : contentTypes) {
        if (value.startsWith(VND)) {
          typename = value.substring(VND.length());
          break;
        }
      }
      // split() drops trailing empty segments, as the image does: /a/b/c/ is fine.
      String path = exchange.getRequestURI().getRawPath().substring(1);
      List<String> parts = new ArrayList<>(Arrays.asList(path.split("/")));
      if (parts.size() != 3 || parts.contains("")) {
        answer(exchange, 500);
        return;
      }
      try {
        QUEUE.put(new IngressRecord(parts.get(0), parts.get(1), parts.get(2), typename, body));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answer(exchange, 500);
        return;
      }
      answer(exchange, 200);
    } finally {
      exchange.close(); // HttpExchange is AutoCloseable only from Java 18
    }
  }

  private static void answer(HttpExchange exchange, int intended) throws IOException {
    exchange.getResponseHeaders().set("Status", Integer.toString(intended));
    exchange.sendResponseHeaders(200, -1);
  }
}
