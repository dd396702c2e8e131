#include "services/commands/tencent_client.h"

#include <simdjson.h>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "common/json_writer.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::commands {

namespace {

void SetResult(v1::DeleteResult* result, v1::DeleteOutcome outcome, int code,
               std::string_view message) {
  result->set_outcome(outcome);
  result->set_vendor_code(code);
  result->set_vendor_message(std::string(message.substr(0, 1024)));
}

// One answer, classified per pending target.
struct ParsedAnswer {
  int error_code = 0;
  std::string error_info;
  bool has_items = false;
  // to_user -> {code, info}
  std::vector<std::pair<std::string, std::pair<int, std::string>>> items;
};

absl::StatusOr<ParsedAnswer> ParseAnswer(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(body).get_object().get(object) != simdjson::SUCCESS) {
    return absl::UnavailableError("answer is not a JSON object");
  }
  ParsedAnswer answer;
  int64_t code = 0;
  if (object["ErrorCode"].get_int64().get(code) != simdjson::SUCCESS) {
    return absl::UnavailableError("answer has no ErrorCode");
  }
  answer.error_code = static_cast<int>(code);
  std::string_view text;
  if (object["ErrorInfo"].get_string().get(text) == simdjson::SUCCESS) {
    answer.error_info = std::string(text);
  }
  simdjson::dom::array items;
  if (object["ResultItem"].get_array().get(items) == simdjson::SUCCESS) {
    answer.has_items = true;
    for (simdjson::dom::element item : items) {
      std::string_view to;
      int64_t result_code = 0;
      if (item["To_Account"].get_string().get(to) != simdjson::SUCCESS ||
          item["ResultCode"].get_int64().get(result_code) != simdjson::SUCCESS) {
        continue;
      }
      std::string_view info;
      if (item["ResultInfo"].get_string().get(info) != simdjson::SUCCESS) info = "";
      answer.items.push_back({std::string(to), {static_cast<int>(result_code), std::string(info)}});
    }
  }
  return answer;
}

}  // namespace

bool IsRetryableTencentCode(int code) {
  return code == kTencentInternalError || code == kTencentTimeout || code == kTencentWriteConflict;
}

TencentClient::TencentClient(TencentSettings settings, std::unique_ptr<HttpTransport> transport,
                             Clock* clock)
    : settings_(std::move(settings)),
      transport_(std::move(transport)),
      clock_(clock),
      bucket_(settings_.rate_per_second, settings_.burst, clock, settings_.shared_limits,
              StrCat("tencent:", settings_.sdk_app_id)),
      usersig_(settings_.sdk_app_id, settings_.admin_identifier, settings_.secret_key,
               settings_.usersig_ttl, clock) {}

std::string TencentClient::Path() {
  thread_local std::mt19937 engine{std::random_device{}()};
  const uint32_t random = engine();
  return StrCat("/v4/sns/friend_delete?sdkappid=", settings_.sdk_app_id,
                "&identifier=", UrlEncode(settings_.admin_identifier),
                "&usersig=", UrlEncode(usersig_.Get()), "&random=", random, "&contenttype=json");
}

std::vector<v1::DeleteResult> TencentClient::DeleteFriends(const DeleteCommand& command,
                                                           absl::Time deadline) {
  std::vector<v1::DeleteResult> results(command.to_users.size());
  for (size_t i = 0; i < command.to_users.size(); ++i) {
    results[i].set_to_user(command.to_users[i]);
  }
  const size_t batch_size = std::clamp<size_t>(settings_.batch_size, 1, 1000);
  for (size_t start = 0; start < command.to_users.size(); start += batch_size) {
    std::vector<size_t> batch;
    for (size_t i = start; i < std::min(start + batch_size, command.to_users.size()); ++i) {
      batch.push_back(i);
    }
    DeleteBatch(command, batch, deadline, &results);
  }
  return results;
}

void TencentClient::DeleteBatch(const DeleteCommand& command, const std::vector<size_t>& batch,
                                absl::Time deadline, std::vector<v1::DeleteResult>* results) {
  std::vector<size_t> pending = batch;
  bool usersig_renewed = false;
  int last_code = 0;
  std::string last_message;
  for (int attempt = 1; !pending.empty(); ++attempt) {
    if (absl::Status slot = bucket_.Acquire(deadline); !slot.ok()) {
      last_message = std::string(slot.message());
      break;
    }
    std::string body;
    JsonWriter w(body);
    w.BeginObject().Key("From_Account").String(command.from_user).Key("To_Account").BeginArray();
    for (size_t i : pending) w.String(command.to_users[i]);
    w.EndArray()
        .Key("DeleteType")
        .String(command.mode == v1::DELETE_MODE_BOTH ? "Delete_Type_Both" : "Delete_Type_Single")
        .EndObject();

    const absl::Duration timeout = std::min(settings_.request_timeout, deadline - clock_->Now());
    requests_sent_.fetch_add(1);
    absl::StatusOr<HttpResponse> response = transport_->PostJson(Path(), {}, body, timeout);

    std::vector<size_t> retry;
    absl::StatusOr<ParsedAnswer> answer =
        !response.ok()            ? absl::StatusOr<ParsedAnswer>(response.status())
        : response->status != 200 ? absl::StatusOr<ParsedAnswer>(absl::UnavailableError(
                                        StrCat("HTTP status ", response->status)))
                                  : ParseAnswer(response->body);
    if (!answer.ok()) {
      // Network-level failure: everything pending is retried.
      last_code = 0;
      last_message = std::string(answer.status().message());
      retry = pending;
    } else if (answer->error_code == kTencentUserSigExpired && !usersig_renewed) {
      usersig_.Invalidate();
      usersig_renewed = true;
      --attempt;  // a renewal is not a retry
      continue;
    } else {
      std::unordered_map<std::string, const std::pair<int, std::string>*> by_target;
      for (const auto& [to, item] : answer->items) by_target.emplace(to, &item);
      for (size_t i : pending) {
        auto it = by_target.find(command.to_users[i]);
        int code = answer->error_code;
        std::string info = answer->error_info;
        if (it != by_target.end()) {
          code = it->second->first;
          info = it->second->second;
        } else if (code == 0) {
          SetResult(&(*results)[i], v1::DELETE_OUTCOME_FAILED, 0,
                    "vendor answer has no result for this target");
          continue;
        }
        if (code == 0) {
          SetResult(&(*results)[i], v1::DELETE_OUTCOME_DELETED, 0, "");
        } else if (code == kTencentNotAFriend) {
          SetResult(&(*results)[i], v1::DELETE_OUTCOME_NOT_A_FRIEND, code, info);
        } else if (IsRetryableTencentCode(code)) {
          retry.push_back(i);
          last_code = code;
          last_message = info;
        } else {
          SetResult(&(*results)[i], v1::DELETE_OUTCOME_REFUSED, code, info);
        }
      }
    }
    pending = std::move(retry);
    if (pending.empty()) break;
    if (attempt >= settings_.retry.max_attempts) {
      last_message = StrCat("gave up after ", attempt, " attempts: ", last_message);
      break;
    }
    const absl::Time wake = clock_->Now() + BackoffBefore(attempt, settings_.retry);
    if (wake >= deadline) {
      last_message = StrCat("deadline reached after ", attempt, " attempts: ", last_message);
      break;
    }
    log::Debug("tencent friend_delete retry",
               {{"sdk_app_id", static_cast<int64_t>(settings_.sdk_app_id)},
                {"attempt", attempt},
                {"targets", static_cast<int64_t>(pending.size())},
                {"code", last_code}});
    clock_->SleepUntil(wake);
  }
  for (size_t i : pending) {
    SetResult(&(*results)[i], v1::DELETE_OUTCOME_FAILED, last_code, last_message);
  }
}

}  // namespace friendgate::commands
