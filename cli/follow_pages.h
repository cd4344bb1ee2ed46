// The --follow loop of `statefun egress read` and `statefun topic consume`:
// print each page of records, then fetch the page after it, until
// interrupted or a fetch fails. A page is {"records": [...], "next": N},
// as the admin API and the offline readers answer both commands.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "cli/output.h"
#include "runtime/core/result.h"

namespace statefun::cli {

struct FollowPages {
  // The page from offset `next`.
  std::function<Result<Json>(int64_t next)> fetch;
  std::function<void(const Json& record)> print;
  // After an empty page, before the next fetch: for sources that answer at
  // once (offline reads, no long poll); zero when the fetch waits itself.
  std::function<std::chrono::milliseconds()> pause_when_empty;
};

// Prints `first` and every page after it; returns only when a fetch fails
// (the caller reports that error and exits).
Error follow_pages(Json first, const FollowPages& follow);

}  // namespace statefun::cli
