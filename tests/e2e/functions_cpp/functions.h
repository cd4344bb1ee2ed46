// The end-to-end test functions of ../functions/functions.js, written with
// the C++ SDK: the same function types with the same behaviour, so every
// parametrized test observes the same results from both implementations.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/sdk/statefun_sdk.h"

namespace e2e {

struct FunctionOptions {
  std::chrono::milliseconds slow{20};   // SLOW_MS: e2e/slow's work per message
  std::chrono::milliseconds ttl{1500};  // TTL_MS: e2e/ttl's expire-after-write
};

// What e2e/slow saw, per id, in invocation order (GET /stats `recorded`).
// Handlers of different ids run concurrently, hence the lock.
class Recorder {
 public:
  void record(const std::string& id, std::string text);
  nlohmann::json to_json() const;

 private:
  mutable std::mutex m_mutex;
  std::map<std::string, std::vector<std::string>> m_seen;
};

void bind_all(statefun::sdk::Functions& functions, const FunctionOptions& options,
              Recorder& recorder);

}  // namespace e2e
