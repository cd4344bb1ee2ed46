// Admin routes for pending messages and dead letters: list them, drop or
// retry pending messages (by id or address), replay or drop dead letters.
// Every change runs on the engine thread as a step of its own.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/inbox_json.h"

namespace statefun::emulator::admin {
namespace {

int64_t id_from(const httplib::Request& req) { return std::stoll(req.matches[1].str()); }

void inbox_op(Context& c, const httplib::Request& req, httplib::Response& res, InboxOp op,
              bool by_id) {
  std::optional<int64_t> seq;
  std::optional<Address> address;
  if (by_id) {
    seq = id_from(req);
  } else {
    auto given = address_param(req, "address");
    if (!given) return reply_error(res, given.error());
    if (!*given) {
      return reply_error(res, ErrorCode::kInvalidArgument,
                         "give a message id (/v1/inbox/ID/...) or ?address=namespace/type/id");
    }
    address = **given;
  }
  auto count = await<Result<int64_t>>(
      [&](auto done) { c.dispatcher.inbox_op(op, seq, address, std::move(done)); });
  if (!count) return reply_error(res, count.error());
  reply(res, 200, {{op == InboxOp::kDrop ? "dropped" : "retried", *count}});
}

void dead_letter_op(Context& c, const httplib::Request& req, httplib::Response& res,
                    DeadLetterOp op) {
  const int64_t id = id_from(req);
  std::promise<std::pair<Result<DeadLetter>, int64_t>> promise;
  auto future = promise.get_future();
  c.dispatcher.dead_letter_op(op, id, [&promise](Result<DeadLetter> letter, int64_t new_seq) {
    promise.set_value({std::move(letter), new_seq});
  });
  auto [letter, new_seq] = future.get();
  if (!letter) return reply_error(res, letter.error());
  Json body = {{op == DeadLetterOp::kReplay ? "replayed" : "dropped", id},
               {"dead_letter", dead_letter_json(*letter)}};
  if (op == DeadLetterOp::kReplay) body["message_id"] = new_seq;
  reply(res, 200, body);
}

}  // namespace

void register_inbox_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/inbox", [&c](const httplib::Request& req, httplib::Response& res) {
    PendingQuery query;
    auto address = address_param(req, "address");
    if (!address) return reply_error(res, address.error());
    query.address = *address;
    auto failing = param(req, "failing");
    query.failing = failing && (*failing == "1" || *failing == "true");
    auto limit = int_param(req, "limit", 1000);
    if (!limit) return reply_error(res, limit.error());
    query.limit = static_cast<int>(std::clamp<int64_t>(*limit, 1, 100000));
    auto body = query_pending(*c.reader, query);
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Get(R"(/v1/inbox/(\d{1,18}))", [&c](const httplib::Request& req, httplib::Response& res) {
    const int64_t id = id_from(req);
    auto message = c.reader->pending_message(id);
    if (!message) return reply_error(res, message.error());
    if (!*message) {
      return reply_error(res, ErrorCode::kNotFound, fmt::format("no pending message {}", id));
    }
    reply(res, 200, pending_json(**message));
  });
  server.Delete(R"(/v1/inbox/(\d{1,18}))",
                [&c](const auto& req, auto& res) { inbox_op(c, req, res, InboxOp::kDrop, true); });
  server.Delete("/v1/inbox",
                [&c](const auto& req, auto& res) { inbox_op(c, req, res, InboxOp::kDrop, false); });
  server.Post(R"(/v1/inbox/(\d{1,18})/retry)",
              [&c](const auto& req, auto& res) { inbox_op(c, req, res, InboxOp::kRetry, true); });
  server.Post("/v1/inbox/retry",
              [&c](const auto& req, auto& res) { inbox_op(c, req, res, InboxOp::kRetry, false); });

  server.Get("/v1/dead-letters", [&c](const httplib::Request& req, httplib::Response& res) {
    auto address = address_param(req, "address");
    if (!address) return reply_error(res, address.error());
    auto body = query_dead_letters(*c.reader, *address);
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Get(R"(/v1/dead-letters/(\d{1,18}))", [&c](const auto& req, auto& res) {
    auto body = query_dead_letter(*c.reader, id_from(req));
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Post(R"(/v1/dead-letters/(\d{1,18})/replay)", [&c](const auto& req, auto& res) {
    dead_letter_op(c, req, res, DeadLetterOp::kReplay);
  });
  server.Delete(R"(/v1/dead-letters/(\d{1,18}))", [&c](const auto& req, auto& res) {
    dead_letter_op(c, req, res, DeadLetterOp::kDrop);
  });
}

}  // namespace statefun::emulator::admin
