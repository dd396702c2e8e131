#include "services/commands/openim_client.h"

#include <simdjson.h>

#include <algorithm>

#include "common/json_writer.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::commands {

namespace {

struct Answer {
  int err_code = 0;
  std::string err_msg;
  std::string token;           // data.token (get_admin_token)
  int64_t expire_seconds = 0;  // data.expireTimeSeconds
};

// OpenIM answers HTTP 200 with {"errCode","errMsg","errDlt","data"?}; the
// status is not looked at, a body that is not such an object is a transport
// failure.
absl::StatusOr<Answer> ParseAnswer(const absl::StatusOr<HttpResponse>& response) {
  if (!response.ok()) return response.status();
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(response->body).get_object().get(object) != simdjson::SUCCESS) {
    return absl::UnavailableError(StrCat("HTTP ", response->status, ": answer is not JSON"));
  }
  Answer answer;
  int64_t code = 0;
  if (object["errCode"].get_int64().get(code) != simdjson::SUCCESS) {
    return absl::UnavailableError("answer has no errCode");
  }
  answer.err_code = static_cast<int>(code);
  std::string_view text;
  if (object["errMsg"].get_string().get(text) == simdjson::SUCCESS) {
    answer.err_msg = std::string(text.substr(0, 1024));
  }
  simdjson::dom::object data;
  if (object["data"].get_object().get(data) == simdjson::SUCCESS) {
    if (data["token"].get_string().get(text) == simdjson::SUCCESS) answer.token = text;
    int64_t expire = 0;
    if (data["expireTimeSeconds"].get_int64().get(expire) == simdjson::SUCCESS) {
      answer.expire_seconds = expire;
    }
  }
  return answer;
}

bool IsTokenError(int code) {
  return code >= kOpenImTokenErrorFirst && code <= kOpenImTokenErrorLast;
}

int Severity(v1::DeleteOutcome outcome) {
  switch (outcome) {
    case v1::DELETE_OUTCOME_NOT_A_FRIEND:
      return 0;
    case v1::DELETE_OUTCOME_DELETED:
      return 1;
    case v1::DELETE_OUTCOME_REFUSED:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

OpenImClient::OpenImClient(OpenImSettings settings, std::unique_ptr<HttpTransport> transport,
                           Clock* clock)
    : settings_(std::move(settings)),
      transport_(std::move(transport)),
      clock_(clock),
      bucket_(settings_.rate_per_second, settings_.burst, clock, settings_.shared_limits,
              StrCat("openim:", settings_.name)) {}

absl::StatusOr<std::string> OpenImClient::Token(const std::string& operation_id,
                                                absl::Time deadline) {
  // Held across the fetch: concurrent callers wait for one fetch instead of
  // each asking for a token.
  absl::MutexLock lock(&token_mu_);
  const absl::Time now = clock_->Now();
  if (!token_.empty() && now < token_renew_at_) return token_;
  std::string body;
  JsonWriter(body)
      .BeginObject()
      .Key("secret")
      .String(settings_.secret)
      .Key("userID")
      .String(settings_.admin_user_id)
      .EndObject();
  const absl::Duration timeout = std::min(settings_.request_timeout, deadline - now);
  tokens_fetched_.fetch_add(1);
  absl::StatusOr<Answer> answer = ParseAnswer(transport_->PostJson(
      "/auth/get_admin_token", {{"operationID", operation_id}}, body, timeout));
  if (!answer.ok()) return answer.status();
  if (answer->err_code != 0 || answer->token.empty()) {
    // errMsg may echo the request; it never holds the secret we sent, but
    // keep the error short anyway.
    return absl::PermissionDeniedError(
        StrCat("get_admin_token refused: errCode ", answer->err_code));
  }
  const absl::Duration lifetime = absl::Seconds(std::max<int64_t>(answer->expire_seconds, 0));
  token_ = answer->token;
  token_renew_at_ = now + std::max(lifetime - settings_.token_refresh_margin, lifetime / 2);
  return token_;
}

void OpenImClient::InvalidateToken(const std::string& bad_token) {
  absl::MutexLock lock(&token_mu_);
  if (token_ == bad_token) token_.clear();
}

OpenImClient::Outcome OpenImClient::DeleteOne(const std::string& owner,
                                              const std::string& friend_id,
                                              const std::string& operation_id,
                                              absl::Time deadline) {
  std::string body;
  JsonWriter(body)
      .BeginObject()
      .Key("ownerUserID")
      .String(owner)
      .Key("friendUserID")
      .String(friend_id)
      .EndObject();
  Outcome last;
  bool token_renewed = false;
  for (int attempt = 1;; ++attempt) {
    absl::Status slot = bucket_.Acquire(deadline);
    if (!slot.ok()) {
      last.message = std::string(slot.message());
      return last;
    }
    absl::StatusOr<std::string> token = Token(operation_id, deadline);
    bool retryable = false;
    if (!token.ok()) {
      // A refused token (wrong secret or admin id) will not get better by
      // retrying: REFUSED. A token call that did not get through: FAILED.
      retryable = absl::IsUnavailable(token.status());
      last = {retryable ? v1::DELETE_OUTCOME_FAILED : v1::DELETE_OUTCOME_REFUSED, 0,
              std::string(token.status().message())};
    } else {
      const absl::Duration timeout = std::min(settings_.request_timeout, deadline - clock_->Now());
      requests_sent_.fetch_add(1);
      absl::StatusOr<Answer> answer = ParseAnswer(
          transport_->PostJson("/friend/delete_friend",
                               {{"operationID", operation_id}, {"token", *token}}, body, timeout));
      if (!answer.ok()) {
        last = {v1::DELETE_OUTCOME_FAILED, 0, std::string(answer.status().message())};
        retryable = true;
      } else if (answer->err_code == 0) {
        return {v1::DELETE_OUTCOME_DELETED, 0, ""};
      } else if (answer->err_code == kOpenImRecordNotFound) {
        return {v1::DELETE_OUTCOME_NOT_A_FRIEND, answer->err_code, answer->err_msg};
      } else if (IsTokenError(answer->err_code) && !token_renewed) {
        InvalidateToken(*token);
        token_renewed = true;
        --attempt;  // a token renewal is not a retry
        continue;
      } else if (answer->err_code == kOpenImServerInternalError) {
        last = {v1::DELETE_OUTCOME_FAILED, answer->err_code, answer->err_msg};
        retryable = true;
      } else {
        return {v1::DELETE_OUTCOME_REFUSED, answer->err_code, answer->err_msg};
      }
    }
    if (!retryable) return last;
    if (attempt >= settings_.retry.max_attempts) {
      last.message = StrCat("gave up after ", attempt, " attempts: ", last.message);
      return last;
    }
    const absl::Time wake = clock_->Now() + BackoffBefore(attempt, settings_.retry);
    if (wake >= deadline) {
      last.message = StrCat("deadline reached after ", attempt, " attempts: ", last.message);
      return last;
    }
    clock_->SleepUntil(wake);
  }
}

std::vector<v1::DeleteResult> OpenImClient::DeleteFriends(const DeleteCommand& command,
                                                          absl::Time deadline) {
  std::vector<v1::DeleteResult> results;
  results.reserve(command.to_users.size());
  int call = 0;
  for (const std::string& to : command.to_users) {
    Outcome outcome =
        DeleteOne(command.from_user, to, StrCat(command.request_id, "-", call++), deadline);
    if (command.mode == v1::DELETE_MODE_BOTH) {
      Outcome reverse =
          DeleteOne(to, command.from_user, StrCat(command.request_id, "-", call++), deadline);
      // The worse of the two directions is the target's outcome.
      if (Severity(reverse.outcome) > Severity(outcome.outcome)) outcome = std::move(reverse);
    }
    v1::DeleteResult& result = results.emplace_back();
    result.set_to_user(to);
    result.set_outcome(outcome.outcome);
    result.set_vendor_code(outcome.code);
    result.set_vendor_message(outcome.message);
  }
  return results;
}

}  // namespace friendgate::commands
