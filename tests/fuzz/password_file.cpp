// libFuzzer target: smtpd's --auth-file parser (cli::detail::parse_password_file). The hashes
// it accepts are not checked here: their cost parameters are the file's to choose, and a
// fuzzed cost would only time out. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/cli/password_file.hpp>
#include <smtp/usage_error.hpp>

#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = smtp_fuzz::as_text(data, size);
    std::vector<smtp::cli::detail::hashed_account> accounts;
    try {
        accounts = smtp::cli::detail::parse_password_file(text, "fuzz");
    } catch (const smtp::usage_error& e) {
        // A refusal names the file and the line.
        FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz, line "));
        return 0;
    }
    for (const auto& account : accounts) {
        // Users and hashes are single fields of single lines.
        FUZZ_CHECK(!account.user.empty());
        FUZZ_CHECK(account.user.find_first_of(":\n") == std::string::npos);
        FUZZ_CHECK(account.hash.starts_with("$"));
        FUZZ_CHECK(account.hash.find_first_of(":\n") == std::string::npos);
    }
    return 0;
}
