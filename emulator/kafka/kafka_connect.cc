#include "emulator/kafka/kafka_connect.h"

#include <fmt/format.h>

#include <future>

namespace statefun::emulator::kafka {

std::string map_bootstrap(const std::string& address,
                          const std::map<std::string, std::string>& hosts) {
  std::string out;
  std::size_t start = 0;
  while (start <= address.size()) {
    std::size_t comma = address.find(',', start);
    if (comma == std::string::npos) comma = address.size();
    std::string server = address.substr(start, comma - start);
    const std::size_t colon = server.rfind(':');
    const std::string host = colon == std::string::npos ? server : server.substr(0, colon);
    if (auto it = hosts.find(host); it != hosts.end()) {
      // A mapping with a port replaces the port too.
      const std::string& to = it->second;  // "host", "host:port", "[::1]" or "[::1]:port"
      const bool has_port = !to.empty() && to.front() == '[' ? to.find("]:") != std::string::npos
                                                             : to.find(':') != std::string::npos;
      server = has_port || colon == std::string::npos ? to : to + server.substr(colon);
    }
    out += (out.empty() ? "" : ",") + server;
    start = comma + 1;
  }
  return out;
}

IngestFn blocking_ingest(Dispatcher& dispatcher) {
  return [&dispatcher](std::vector<InboxMessage> messages,
                       std::vector<ExternalOffset> offsets) -> Result<void> {
    auto promise = std::make_shared<std::promise<Result<void>>>();
    auto future = promise->get_future();
    dispatcher.ingest(std::move(messages), std::move(offsets),
                      [promise](Result<void> r) { promise->set_value(std::move(r)); });
    return future.get();
  };
}

Result<std::unique_ptr<KafkaConnect>> KafkaConnect::create(const ModuleConfig& config, Store& store,
                                                           ConnectOptions options) {
  std::unique_ptr<KafkaConnect> connect(new KafkaConnect());
  auto stored = store.load_external_offsets();
  if (!stored) return std::unexpected(stored.error());
  auto last = store.last_sequences();
  if (!last) return std::unexpected(last.error());
  const IngestFn ingest = blocking_ingest(*options.dispatcher);
  // The addresses as this machine reaches them (statefun.yaml's hosts).
  auto mapped = [&options](ExternalIoSpec spec) {
    if (spec.kafka) spec.kafka->address = map_bootstrap(spec.kafka->address, options.hosts);
    return spec;
  };
  for (const auto& original : config.kafka_ingresses) {
    const ExternalIoSpec ingress = mapped(original);
    auto runner = IngressRunner::create(ingress, *stored, options.routing(ingress), ingest,
                                        options.info, options.warn);
    if (!runner) return std::unexpected(runner.error());
    connect->links_.push_back(std::move(*runner));
  }
  const std::string db_path = options.db_path;
  for (const auto& original : config.kafka_egresses) {
    const ExternalIoSpec egress = mapped(original);
    // Without a mark, connect mode starts after the records already there
    // (written while emulating): they were never meant for the broker.
    std::int64_t next = last->second + 1;
    for (const auto& o : *stored) {
      if (o.kind == kEgressOffsetKind && o.name == egress.id) next = o.next_offset;
    }
    auto runner = EgressRunner::create(
        egress, next, [db_path] { return StoreReader::open(db_path); }, ingest, options.info,
        options.warn);
    if (!runner) return std::unexpected(runner.error());
    connect->links_.push_back(std::move(*runner));
  }
  return connect;
}

KafkaConnect::~KafkaConnect() { stop(); }

void KafkaConnect::start() {
  if (started_) return;
  started_ = true;
  for (auto& link : links_) link->start();
}

void KafkaConnect::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& link : links_) link->stop();
}

std::vector<LinkStatus> KafkaConnect::status() const {
  std::vector<LinkStatus> out;
  for (const auto& link : links_) out.push_back(link->status());
  return out;
}

std::string KafkaConnect::describe() const {
  std::string out;
  for (const auto& link : links_) {
    const auto s = link->status();
    out += fmt::format("{}{} {} {} {}", out.empty() ? "" : ", ", s.direction, s.id,
                       s.direction == "ingress" ? "from" : "to", s.address);
  }
  return out;
}

}  // namespace statefun::emulator::kafka
