// `kafka: connect` mode of `statefun dev`: one IngressRunner per Kafka
// ingress and one EgressRunner per Kafka egress of module.yaml, against the
// real brokers at their addresses (docs/kafka-kinesis.md, "Connect mode").
// Built before the engine starts (it reads the stored offsets from the
// store, which nothing else uses yet), started once the engine runs,
// stopped before it stops.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator/config/module_config.h"
#include "emulator/kafka/kafka_egress.h"
#include "emulator/kafka/kafka_ingress.h"
#include "emulator/kafka/kafka_status.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/store/store.h"

namespace statefun::emulator::kafka {

struct ConnectOptions {
  Dispatcher* dispatcher = nullptr;  // required; ingests on its engine thread
  std::string db_path;               // the state database (egress reads it)
  // statefun.yaml's hosts map (name -> "host" or "host:port"), applied to
  // each broker of an `address`, as to function URLs: kafka-broker:9092
  // with `kafka-broker: localhost` is localhost:9092.
  std::map<std::string, std::string> hosts;
  // The messages a record of a Kafka ingress becomes.
  std::function<RouteFn(const ExternalIoSpec& ingress)> routing;
  Say info, warn;  // console lines
};

class KafkaConnect {
 public:
  // Creates a runner per Kafka ingress and egress of `config`. `store` is
  // read here only (stored offsets, the last egress seq), before the engine
  // takes it over. A property librdkafka refuses is a one-line error naming
  // the component and the property.
  static Result<std::unique_ptr<KafkaConnect>> create(const ModuleConfig& config, Store& store,
                                                      ConnectOptions options);
  ~KafkaConnect();

  void start();
  void stop();
  std::vector<LinkStatus> status() const;
  // "example/names from 127.0.0.1:9092, ..." for the banner.
  std::string describe() const;

 private:
  KafkaConnect() = default;
  std::vector<std::unique_ptr<Link>> links_;
  bool started_ = false;
};

// `address` ("host:port,host:port") with the hosts map applied to each host.
std::string map_bootstrap(const std::string& address,
                          const std::map<std::string, std::string>& hosts);

// Waits for Dispatcher::ingest to commit (runs on a runner's thread).
IngestFn blocking_ingest(Dispatcher& dispatcher);

}  // namespace statefun::emulator::kafka
