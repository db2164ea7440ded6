#pragma once
// Small text helpers used by loaders and the CLI.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flight {

// Splits on '\n', strips a trailing '\r' and surrounding blanks, drops empty lines.
std::vector<std::string> nonempty_lines(std::string_view text);

// "1.50 s", "23.4 ms" — a duration for people.
std::string format_seconds(double seconds);

// "47,040,000" — thousands separators for byte and record counts in messages.
std::string with_commas(std::uint64_t n);

// The whole file; an InputError "FILE: cannot open WHAT (expected a readable file, found <errno text>)" otherwise.
std::string read_text_file(const std::string& file, const std::string& what);

}  // namespace flight
