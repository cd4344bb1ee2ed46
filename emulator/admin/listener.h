// Internal to emulator/*.cc: an httplib::Server bound to one address and
// served on its own thread, its requests on a pool of threads that grows on
// demand. Included only by .cc files, so httplib stays
// out of every public header.
#pragma once

#include <httplib.h>

#include <string>
#include <thread>

#include "runtime/core/result.h"

namespace statefun::emulator {

class OnDemandThreadPool;

// Held by a handler for as long as its request lives on (an event stream, a
// long poll): the listener's thread it runs on stops counting against the
// worker limit, so such requests, however many, never take the capacity of
// others. Each costs a thread; beyond `max_long_requests` at once they are
// not admitted (the handler answers 503). Outside a listener's thread (a
// unit test calling a handler) it does nothing and is always admitted.
class LongRequest {
 public:
  LongRequest();
  ~LongRequest();
  LongRequest(const LongRequest&) = delete;
  LongRequest& operator=(const LongRequest&) = delete;
  bool admitted() const { return m_admitted; }

 private:
  OnDemandThreadPool* m_pool;
  bool m_admitted = true;
};

class Listener {
 public:
  // `label` names the surface in errors, e.g. "playground ingress". At most
  // `worker_threads` requests run at once, besides up to `max_long_requests`
  // inside a LongRequest.
  explicit Listener(std::string label, int worker_threads = 64, int max_long_requests = 4096);
  ~Listener();

  // Register routes here; the pre-routing handler goes through
  // set_pre_routing_handler below (the listener needs that hook too).
  httplib::Server& server() { return m_server; }
  void set_pre_routing_handler(httplib::Server::HandlerWithResponse handler);

  // Binds host:port (port 0 picks a free one) and starts serving. Errors name
  // the surface and the port ("port 8090 (playground ingress) is already in use").
  Result<int> start(const std::string& host, int port);
  void stop();

 private:
  std::string m_label;
  httplib::Server m_server;
  int m_socket = -1;  // the listening socket, once bound
  std::thread m_thread;
};

}  // namespace statefun::emulator
