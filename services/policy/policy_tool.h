#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_

#include <ostream>
#include <string>

namespace friendgate::policy {

// The offline subcommands of friendgate-policy, for rule authors:
//   friendgate-policy test RULES [CASES...] [--junit=FILE] [--require-all-rules]
//   friendgate-policy eval RULES --event=JSON
// Whether argv names one (argv[1] is "test" or "eval").
bool IsToolCommand(int argc, char** argv);
// Runs it; returns the exit status.
int RunToolCommand(int argc, char** argv);

// `eval`: explains the decision on `event_json` (a FriendshipEvent in
// protobuf's JSON mapping) with the rules file, an empty store and the
// current time; the text of PolicyAdmin.Explain, or its JSON with `json`.
// Returns the exit status (2: a file or the event could not be read).
int RunEval(const std::string& rules_path, const std::string& event_json, bool json,
            std::ostream& out, std::ostream& err);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_
