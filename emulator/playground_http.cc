#include "emulator/playground_http.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "emulator/listener.h"
#include "runtime/well_known_types.h"

namespace statefun::emulator {
namespace {

constexpr std::string_view kVndPrefix = "application/vnd.";

void reply_text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

void register_any_method(httplib::Server& server, const std::string& pattern,
                         const httplib::Server::Handler& handler) {
  server.Get(pattern, handler);
  server.Post(pattern, handler);
  server.Put(pattern, handler);
  server.Patch(pattern, handler);
  server.Delete(pattern, handler);
  server.Options(pattern, handler);
}

}  // namespace

Result<Address> parse_ingress_path(const std::string& path) {
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto slash = rest.find('/', start);
    parts.emplace_back(
        rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  const bool any_empty = std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); });
  if (parts.size() != 3 || any_empty) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ingress path '{}' must be /<namespace>/<type>/<id> (got {} "
                                  "part{})",
                                  path, parts.size(), parts.size() == 1 ? "" : "s"));
  }
  return Address{{parts[0], parts[1]}, parts[2]};
}

std::string ingress_typename(const std::string& content_type) {
  if (content_type.rfind(kVndPrefix, 0) == 0 && content_type.size() > kVndPrefix.size()) {
    return content_type.substr(kVndPrefix.size());
  }
  return std::string(types::kString);
}

PlaygroundIngress::PlaygroundIngress(Dispatcher& dispatcher)
    : m_dispatcher(dispatcher), m_listener(std::make_unique<Listener>("playground ingress")) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_ingress_path(req.path);
    if (!target) return reply_text(res, 400, target.error().message);
    InboxMessage message;
    message.target = std::move(*target);
    message.argument = {ingress_typename(req.get_header_value("Content-Type")), true, req.body};
    message.source = MessageSource::kIngress;
    std::promise<Result<void>> committed;
    auto future = committed.get_future();
    m_dispatcher.accept(std::move(message),
                        [&committed](Result<void> r) { committed.set_value(std::move(r)); });
    auto result = future.get();
    if (!result) return reply_text(res, 503, result.error().message);
    res.status = 200;
  };
  register_any_method(m_listener->server(), ".*", handler);
}

PlaygroundIngress::~PlaygroundIngress() = default;
Result<int> PlaygroundIngress::start(const std::string& host, int port) {
  return m_listener->start(host, port);
}
void PlaygroundIngress::stop() { m_listener->stop(); }

PlaygroundEgress::PlaygroundEgress(Dispatcher& dispatcher, std::vector<std::string> topics)
    : m_dispatcher(dispatcher),
      m_topics(std::move(topics)),
      m_listener(std::make_unique<Listener>("playground egress", 16)) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string topic = req.path.empty() ? std::string() : req.path.substr(1);
    if (std::find(m_topics.begin(), m_topics.end(), topic) == m_topics.end()) {
      return reply_text(res, 405, fmt::format("unknown egress topic '{}'", topic));
    }
    std::promise<Result<std::optional<EgressRecord>>> popped;
    auto future = popped.get_future();
    m_dispatcher.pop_egress(topic, [&popped](Result<std::optional<EgressRecord>> r) {
      popped.set_value(std::move(r));
    });
    auto record = future.get();
    if (!record) return reply_text(res, 503, record.error().message);
    if (!*record) {
      res.status = 404;
      return;
    }
    res.status = 200;
    res.body = std::move((*record)->payload);
  };
  register_any_method(m_listener->server(), ".*", handler);
}

PlaygroundEgress::~PlaygroundEgress() = default;
Result<int> PlaygroundEgress::start(const std::string& host, int port) {
  return m_listener->start(host, port);
}
void PlaygroundEgress::stop() { m_listener->stop(); }

}  // namespace statefun::emulator
