#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_

namespace friendgate::policy {

// The offline subcommands of friendgate-policy, for rule authors:
//   friendgate-policy test RULES [CASES...] [--junit=FILE] [--require-all-rules]
//   friendgate-policy eval RULES --event=JSON
// Whether argv names one (argv[1] is "test" or "eval").
bool IsToolCommand(int argc, char** argv);
// Runs it; returns the exit status.
int RunToolCommand(int argc, char** argv);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_TOOL_H_
