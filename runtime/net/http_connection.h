// One accepted HTTP/1.1 connection of an HttpServer (internal to
// http_server.cc): reads and parses requests, passes them to the owner one
// at a time, writes the responses in order, and closes when HTTP says so,
// on a protocol error, or when the client goes away. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"
#include "runtime/net/http_server.h"

namespace statefun::net {

class HttpConnection;

class HttpConnectionOwner {
 public:
  virtual ~HttpConnectionOwner() = default;
  // A complete request; `connection.respond(request_id, ...)` answers it,
  // now or later.
  virtual void on_request(HttpConnection& connection, HttpMessage& request,
                          std::uint64_t request_id) = 0;
  // The socket is closed; called once, from close().
  virtual void on_closed(HttpConnection& connection) = 0;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  struct Settings {
    std::string label;  // starts error bodies ("playground ingress: ...")
    std::size_t max_body_bytes = 0;
  };

  // Takes ownership of `fd` (non-blocking, accepted).
  HttpConnection(EventLoop& loop, HttpConnectionOwner& owner, std::uint64_t id, int fd,
                 const Settings& settings);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Registers the socket with the loop; false (and closed) when it cannot.
  bool open();
  // Answers request `request_id`; ignored unless that request is the one
  // awaiting its response.
  void respond(std::uint64_t request_id, HttpResponse response);
  // Closes the socket at once, dropping anything unsent.
  void close();

  std::uint64_t id() const { return m_id; }
  bool closed() const { return m_fd < 0; }
  // Nothing owed to the client and no I/O since `cutoff`.
  bool idle_since(EventLoop::Clock::time_point cutoff) const;

 private:
  void on_events(std::uint32_t events);
  // Reads what the socket has; false when the connection closed meanwhile.
  bool read_input(bool& eof);
  // Feeds buffered input to the parser and starts requests while the
  // connection is free to (nothing awaiting a response or unsent).
  void process_input();
  void start_request();
  void reject(int status, const std::string& reason);
  void queue_response(HttpResponse response, bool head_only, bool keep_alive);
  // Sends queued output; afterwards closes when the last response said so.
  void flush();
  // After an error response: stop writing, drain what the client still
  // sends for a while, then close, so the client reads our answer instead
  // of a reset caused by unread data.
  void linger();
  void update_interest();
  // Runs the on_written hooks of responses now fully sent (`true`), or of
  // all of them (`false`, the connection is closing).
  void run_written_hooks(bool closing);

  EventLoop& m_loop;
  HttpConnectionOwner& m_owner;
  const std::uint64_t m_id;
  int m_fd;
  const Settings m_settings;
  HttpParser m_parser;

  std::string m_in;  // received, not yet parsed (m_in_used bytes of it are)
  std::size_t m_in_used = 0;
  std::deque<std::string> m_out;  // unsent output; m_out_sent bytes of the first are sent
  std::size_t m_out_sent = 0;
  // Bytes ever queued and ever sent, and the hooks waiting for their
  // response's last byte (its position in that count) to be sent.
  std::uint64_t m_out_queued_total = 0;
  std::uint64_t m_out_sent_total = 0;
  std::deque<std::pair<std::uint64_t, std::function<void(bool)>>> m_written_hooks;

  std::uint64_t m_request = 0;  // the latest request handed to the owner
  bool m_awaiting_response = false;
  bool m_keep_alive = true;  // of the request awaiting its response
  bool m_head = false;       // ditto: a HEAD request gets no body
  bool m_continue_sent = false;
  bool m_close_after_write = false;
  bool m_linger_after_write = false;
  bool m_lingering = false;
  bool m_peer_eof = false;    // the client sends no more (it may still read)
  bool m_processing = false;  // inside process_input(): no re-entry
  std::uint32_t m_interest = 0;
  EventLoop::TimerId m_linger_timer = 0;
  EventLoop::Clock::time_point m_last_activity;
};

}  // namespace statefun::net
