#include "cli/follow_pages.h"

#include <iostream>
#include <thread>

namespace statefun::cli {

Error follow_pages(Json page, const FollowPages& follow) {
  for (;;) {
    for (const auto& record : page["records"]) follow.print(record);
    std::cout.flush();
    const int64_t next = page["next"].get<int64_t>();
    if (page["records"].empty()) {
      const auto pause = follow.pause_when_empty();
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
    auto fetched = follow.fetch(next);
    if (!fetched) return fetched.error();
    page = std::move(*fetched);
  }
}

}  // namespace statefun::cli
