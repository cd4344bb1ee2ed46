// A non-blocking HTTP/1.1 server that lives on an EventLoop: no threads of
// its own, so a handler runs on the loop thread (the engine thread) and can
// hand a request to the engine without a thread switch.
//
// Per connection, requests are handled one at a time and in order: a
// pipelined request is not parsed until the response before it is written.
// The server answers "100 Continue" to requests that expect it, keeps
// connections alive per HTTP/1.1 (HTTP/1.0 without keep-alive, or
// "Connection: close", closes after the response), answers 400 with a
// one-line reason to a malformed request and 413 to a body over the limit
// (both then close), and closes connections that sit idle too long. Every
// response carries Content-Length; a response to HEAD carries no body. A
// client that closes mid-request just goes away; one that shuts down only
// its sending side still gets the responses to its complete requests.
//
// Threading: construct, start(), stop() and destroy on the loop thread, or
// while no thread drives the loop (before it first runs, or after it stopped
// for good). start() from another thread while the loop runs is also fine:
// it registers the listening socket through EventLoop::post(). The handler
// runs on the loop thread. A Responder may be called from any thread while
// the loop exists: off the loop thread it posts the response to the loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"

namespace statefun::net {

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<HttpHeader> headers;  // extra; never Content-Length or Connection
  // Optional. Runs exactly once, on the loop thread: `true` once the
  // response's last byte was handed to the kernel (a crash of this process
  // no longer stops it from reaching the client), `false` when that never
  // happens (the connection closed first, the client had already ended its
  // stream so nothing says it still reads, the request it answers is gone,
  // or the server stopped). The playground egress consumes a record only
  // on `true`, so a pop cut short by a kill leaves the record waiting.
  std::function<void(bool written)> on_written;
};

class HttpServer {
 public:
  struct Options {
    std::string label = "http server";  // names the surface in errors, e.g. "playground ingress"
    std::size_t max_body_bytes = 64u * 1024u * 1024u;
    std::size_t max_connections = 10000;  // more wait in the listen backlog
    // A connection with no request in progress and no I/O for this long is
    // closed (a client's keep-alive pool reconnects).
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  };

  class Impl;

  // Answers one request. Call it exactly once (later calls do nothing); it
  // may be called after the handler returned. When the client's connection
  // is gone by then, it does nothing. Copyable, so it fits std::function.
  class Responder {
   public:
    void operator()(HttpResponse response) const;

   private:
    friend class Impl;
    Responder(std::weak_ptr<Impl> server, EventLoop* loop, std::uint64_t connection,
              std::uint64_t request)
        : m_server(std::move(server)), m_loop(loop), m_connection(connection), m_request(request) {}
    std::weak_ptr<Impl> m_server;
    EventLoop* m_loop;
    std::uint64_t m_connection;
    std::uint64_t m_request;
  };

  // `request` is valid only during the call (move its body out if needed).
  // Until `respond` is called the connection reads no further request, so
  // a handler that never responds stalls that client (not the server).
  using Handler = std::function<void(HttpMessage& request, Responder respond)>;

  HttpServer(EventLoop& loop, Options options, Handler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free one; SO_REUSEADDR but never
  // SO_REUSEPORT, so a second process cannot share the port), listens and
  // returns the bound port. Error: "port {port} ({label}) on {host} is
  // already in use or cannot be bound".
  Result<int> start(const std::string& host, int port);
  // Listens on a UNIX socket file instead (replacing a stale socket file,
  // never anything else). Error: "UNIX socket {path} ({label}) cannot be bound ...".
  Result<void> start_unix(const std::string& path);
  // Closes the listening socket and every connection; responses still owed
  // are dropped. Idempotent.
  void stop();

 private:
  std::shared_ptr<Impl> m_impl;  // weak copies in Responders and posted tasks
};

}  // namespace statefun::net
