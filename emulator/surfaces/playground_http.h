// The StateFun playground's HTTP ingress and egress (README.md, "Playground
// ingress and egress"), with one deliberate difference: responses carry the real HTTP status
// (the playground always answers 200 and hides the code in a `Status` header).
//
// Ingress: PUT or POST on /<namespace>/<type>/<id>; the body becomes the
// message, typed by `Content-Type: application/vnd.<typename>` (anything else,
// or no header, is io.statefun.types/string). 200 once durably committed,
// 400 for a bad path or a path or typename that is not UTF-8, 503 while shutting down; any other
// method is 405 with `Allow: PUT, POST` and sends nothing. Egress: GET on /<topic> pops one
// committed record: 200 + payload, 404 when the topic is empty, 405 for an unknown topic. The
// record is consumed only once the response's last byte was written to the socket (until then it is
// leased to this request and skipped by others), so a kill mid-pop never
// loses it; a record written just before a kill may be served once more.
// HEAD answers as GET would
// but leaves the record waiting; OPTIONS answers 204 with
// `Allow: GET, HEAD, OPTIONS`; any other method is 405 with that Allow
// header and consumes nothing.
//
// Listening on a loopback address, both answer 403 to a Host that is not a
// loopback name or that address (request_guard.h): no DNS-rebinding page.
//
// Both serve on the engine's event loop (net::HttpServer): a request is
// handed to the dispatcher on the loop thread and answered from the
// dispatcher's completion callback, with no thread blocked in between.
// start() and stop() follow HttpServer's threading rules.
#pragma once

#include <string>
#include <vector>

#include "emulator/surfaces/ingress_path.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/net/event_loop.h"
#include "runtime/net/http_server.h"

namespace statefun::emulator {

class PlaygroundIngress {
 public:
  // `loop` is the one the dispatcher's engine thread drives.
  PlaygroundIngress(Dispatcher& dispatcher, net::EventLoop& loop);
  Result<int> start(const std::string& host, int port);
  void stop();

 private:
  void handle(net::HttpMessage& request, net::HttpServer::Responder respond);

  Dispatcher& m_dispatcher;
  std::string m_listen_host;  // set by start(), before any request
  net::HttpServer m_server;
};

class PlaygroundEgress {
 public:
  PlaygroundEgress(Dispatcher& dispatcher, net::EventLoop& loop, std::vector<std::string> topics);
  Result<int> start(const std::string& host, int port);
  void stop();

 private:
  void handle(net::HttpMessage& request, net::HttpServer::Responder respond);

  Dispatcher& m_dispatcher;
  std::vector<std::string> m_topics;
  std::string m_listen_host;  // set by start(), before any request
  net::HttpServer m_server;
};

// The typename an ingress request's Content-Type selects:
// `application/vnd.<typename>`, parameters (`; charset=utf-8`) dropped.
std::string ingress_typename(const std::string& content_type);

}  // namespace statefun::emulator
