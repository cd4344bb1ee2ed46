#include "emulator/surfaces/playground_http.h"

#include <fmt/format.h>

#include <algorithm>

#include "emulator/surfaces/request_guard.h"
#include "emulator/values/utf8.h"
#include "runtime/net/http_target.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator {
namespace {

constexpr std::string_view kVndPrefix = "application/vnd.";
// The playground's examples PUT; `curl -d` POSTs.
constexpr std::string_view kIngressMethods = "PUT, POST";
constexpr std::string_view kEgressMethods = "GET, HEAD, OPTIONS";

net::HttpResponse text_response(int status, const std::string& text) {
  return {status, "text/plain; charset=utf-8", text + "\n", {}};
}

// 405 with the Allow header RFC 9110 requires; nothing was consumed or accepted.
net::HttpResponse method_not_allowed(const std::string& method, std::string_view surface,
                                     std::string_view allowed) {
  net::HttpResponse response = text_response(
      405, fmt::format("the {} does not take {} (allowed: {})", surface, method, allowed));
  response.headers.push_back({"Allow", std::string(allowed)});
  return response;
}

net::HttpServer::Options server_options(std::string label) {
  net::HttpServer::Options options;
  options.label = std::move(label);
  return options;
}

// A DNS-rebinding page must not reach a playground that listens on
// loopback (curl and the SDK samples send a loopback Host). Listening on
// another address is a choice to be reached under any name.
std::optional<net::HttpResponse> refuse_host(const net::HttpMessage& request,
                                             const std::string& listen_host) {
  if (!is_loopback_name(listen_host)) return std::nullopt;
  GuardedRequest guarded{request.method, std::nullopt, std::nullopt, std::nullopt, false};
  if (const std::string* host = request.header("Host")) guarded.host = *host;
  GuardPolicy policy{listen_host, true, false, false};
  auto refusal = check_request(guarded, policy);
  if (!refusal) return std::nullopt;
  return text_response(refusal->status, refusal->reason);
}

}  // namespace

std::string ingress_typename(const std::string& content_type) {
  // Parameters (`; charset=utf-8`, as browsers and some clients add) are
  // not part of the media type (RFC 9110 8.3.1), so not of the typename.
  std::string_view media = content_type;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  if (media.starts_with(kVndPrefix) && media.size() > kVndPrefix.size()) {
    return std::string(media.substr(kVndPrefix.size()));
  }
  return std::string(types::kString);
}

PlaygroundIngress::PlaygroundIngress(Dispatcher& dispatcher, net::EventLoop& loop)
    : m_dispatcher(dispatcher),
      m_server(loop, server_options("playground ingress"),
               [this](net::HttpMessage& request, net::HttpServer::Responder respond) {
                 handle(request, std::move(respond));
               }) {}

void PlaygroundIngress::handle(net::HttpMessage& request, net::HttpServer::Responder respond) {
  if (auto refused = refuse_host(request, m_listen_host)) return respond(std::move(*refused));
  if (request.method != "PUT" && request.method != "POST") {
    return respond(method_not_allowed(request.method, "playground ingress", kIngressMethods));
  }
  auto target = parse_ingress_path(net::target_path(request.target));
  if (!target) return respond(text_response(400, target.error().message));
  InboxMessage message;
  message.target = std::move(*target);
  const std::string* content_type = request.header("Content-Type");
  std::string type_name = ingress_typename(content_type ? *content_type : std::string());
  if (auto at = values::first_invalid_utf8(type_name)) {
    return respond(text_response(
        400, fmt::format("Content-Type '{}': the typename is not valid UTF-8 (byte {:#04x} at "
                         "offset {})",
                         values::escape_bytes(*content_type),
                         static_cast<unsigned char>(type_name[*at]), *at)));
  }
  message.argument = {std::move(type_name), true, std::move(request.body)};
  message.source = MessageSource::kIngress;
  // Answered once committed, from the engine thread; nothing waits here.
  // The message id is the root of its causal tree (`statefun trace --tree`).
  m_dispatcher.accept_with_id(
      std::move(message), [respond = std::move(respond)](Result<int64_t> committed) {
        if (!committed) return respond(text_response(503, committed.error().message));
        net::HttpResponse ok;
        ok.headers.push_back({"X-Statefun-Message-Id", std::to_string(*committed)});
        respond(std::move(ok));
      });
}

Result<int> PlaygroundIngress::start(const std::string& host, int port) {
  m_listen_host = host;
  return m_server.start(host, port);
}
void PlaygroundIngress::stop() { m_server.stop(); }

PlaygroundEgress::PlaygroundEgress(Dispatcher& dispatcher, net::EventLoop& loop,
                                   std::vector<std::string> topics)
    : m_dispatcher(dispatcher),
      m_topics(std::move(topics)),
      m_server(loop, server_options("playground egress"),
               [this](net::HttpMessage& request, net::HttpServer::Responder respond) {
                 handle(request, std::move(respond));
               }) {}

void PlaygroundEgress::handle(net::HttpMessage& request, net::HttpServer::Responder respond) {
  if (auto refused = refuse_host(request, m_listen_host)) return respond(std::move(*refused));
  const std::string path = net::target_path(request.target);
  const std::string topic = path.empty() ? std::string() : path.substr(1);
  if (std::find(m_topics.begin(), m_topics.end(), topic) == m_topics.end()) {
    return respond(text_response(405, fmt::format("unknown egress topic '{}'", topic)));
  }
  // Only GET consumes: a HEAD (curl -I) or a browser's OPTIONS must not pop
  // a record that nobody then reads.
  if (request.method == "OPTIONS") {
    return respond(net::HttpResponse{204, {}, {}, {{"Allow", std::string(kEgressMethods)}}});
  }
  const bool get = request.method == "GET";
  if (!get && request.method != "HEAD") {
    return respond(method_not_allowed(request.method, "playground egress", kEgressMethods));
  }
  if (!get) {
    return m_dispatcher.peek_egress(
        topic, [respond = std::move(respond)](Result<std::optional<EgressRecord>> record) {
          if (!record) return respond(text_response(503, record.error().message));
          if (!*record) return respond(net::HttpResponse{404, {}, {}, {}});
          // The server answers a HEAD with these headers (Content-Length
          // included) and no body.
          respond(net::HttpResponse{200, {}, std::move((*record)->payload), {}});
        });
  }
  // The record is leased, not consumed: it is consumed once the response's
  // last byte was written, and served again if that never happens (the
  // client left, statefun dev was killed). See README "Playground ingress
  // and egress" for the guarantee.
  m_dispatcher.pop_egress(topic, [respond = std::move(respond), &dispatcher = m_dispatcher](
                                     Result<std::optional<EgressLease>> lease) {
    if (!lease) return respond(text_response(503, lease.error().message));
    if (!*lease) return respond(net::HttpResponse{404, {}, {}, {}});
    // As on the playground: the payload alone, no Content-Type.
    net::HttpResponse response{200, {}, std::move((*lease)->record.payload), {}};
    response.on_written = [&dispatcher, ticket = (*lease)->ticket](bool written) {
      dispatcher.settle_egress(ticket, written);
    };
    respond(std::move(response));
  });
}

Result<int> PlaygroundEgress::start(const std::string& host, int port) {
  m_listen_host = host;
  return m_server.start(host, port);
}
void PlaygroundEgress::stop() { m_server.stop(); }

}  // namespace statefun::emulator
