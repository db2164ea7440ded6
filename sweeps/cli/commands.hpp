#pragma once
// The `flight` front end: each command group registers its subcommands on the app and says which action to run.
// Actions return the process exit code (0 success, 1 run failure, 2 bad input); exceptions thrown below are mapped
// to exit codes in main().
#include <CLI/CLI.hpp>
#include <functional>

namespace flight::cli {

using Action = std::function<int()>;

// Sets `chosen` to the action of the subcommand the user picked.
void register_data_commands(CLI::App& app, Action& chosen);
void register_calibrate_commands(CLI::App& app, Action& chosen);
void register_dse_commands(CLI::App& app, Action& chosen);
void register_train_commands(CLI::App& app, Action& chosen);
void register_sim_commands(CLI::App& app, Action& chosen);
void register_sweep_commands(CLI::App& app, Action& chosen);
void register_rtl_commands(CLI::App& app, Action& chosen);

}  // namespace flight::cli
