// flight — FLight DSE command line.  The only place that prints for the user or exits.
#include <cstdio>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "flight/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"FLight DSE: design-space exploration of lightweight quantized neural networks on FPGA and ASIC.\n"
               "Exit codes: 0 success, 1 run failure, 2 bad input.",
               "flight"};
  app.set_version_flag("--version", std::string("flight ") + FLIGHT_VERSION);
  app.require_subcommand(1);
  flight::cli::Action chosen;
  flight::cli::register_data_commands(app, chosen);
  flight::cli::register_calibrate_commands(app, chosen);
  flight::cli::register_dse_commands(app, chosen);
  flight::cli::register_train_commands(app, chosen);
  flight::cli::register_sim_commands(app, chosen);
  flight::cli::register_sweep_commands(app, chosen);
  flight::cli::register_rtl_commands(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // one line, like every other bad input
    std::cerr << "flight: error: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    return chosen ? chosen() : 2;
  } catch (const flight::InputError& e) {
    std::cerr << "flight: error: " << e.what() << "\n";
    return 2;
  } catch (const flight::RunError& e) {
    std::cerr << "flight: failed: " << e.what() << "\n";
    return 1;
  } catch (const flight::InternalError& e) {
    std::cerr << "flight: internal error (please report): " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "flight: failed: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "flight: failed: " << e.what() << "\n";
    return 1;
  }
}
