#include <smtp/cli/arguments.hpp>
#include <smtp/usage_error.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

// smtpd's --oauth-token, --auth-external, --tls-client-ca, --tls-client-required and --sni-dir:
// parsing, and the mechanisms each leaves offered.

namespace {

smtp::cli::arguments parse(std::vector<std::string> args) {
    return smtp::cli::parse(args);
}

bool excluded(const smtp::options& o, const std::string& name) {
    return std::find(o.auth_exclude_mechanism.begin(), o.auth_exclude_mechanism.end(), name) !=
           o.auth_exclude_mechanism.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_tokens)

BOOST_AUTO_TEST_CASE(oauth_tokens_repeat_and_offer_the_mechanisms) {
    auto args = parse({"--oauth-token", "alice@example.com:ya29.a", "--oauth-token", "bob:b:c"});
    BOOST_TEST_REQUIRE(args.oauth_tokens.size() == 2u);
    BOOST_TEST(args.oauth_tokens[0].first == "alice@example.com");
    BOOST_TEST(args.oauth_tokens[0].second == "ya29.a");
    BOOST_TEST(args.oauth_tokens[1].second == "b:c"); // split at the first colon
    auto opts = smtp::cli::make_options(args);
    BOOST_TEST(!excluded(opts, "OAUTHBEARER"));
    BOOST_TEST(!excluded(opts, "XOAUTH2"));
    BOOST_TEST(excluded(opts, "EXTERNAL"));
}

BOOST_AUTO_TEST_CASE(by_default_none_is_offered) {
    auto opts = smtp::cli::make_options({});
    BOOST_TEST(excluded(opts, "OAUTHBEARER"));
    BOOST_TEST(excluded(opts, "XOAUTH2"));
    BOOST_TEST(excluded(opts, "EXTERNAL"));
}

BOOST_AUTO_TEST_CASE(usage_errors) {
    for (std::vector<std::string> args : {std::vector<std::string>{"--oauth-token", "alice"},
                                          {"--oauth-token", ":token"},
                                          {"--oauth-token", "alice:"}}) {
        BOOST_CHECK_THROW(parse(args), smtp::usage_error);
    }
    // Needing TLS, or a CA: checked with the options.
    for (std::vector<std::string> args : {std::vector<std::string>{"--auth-external"},
                                          {"--tls-client-ca", "ca.pem"},
                                          {"--tls-client-required"},
                                          {"--sni-dir", "/tmp"}}) {
        BOOST_CHECK_THROW(smtp::cli::make_options(parse(args)), smtp::usage_error);
    }
    BOOST_TEST(smtp::cli::usage("smtpd").find("[--oauth-token USER:TOKEN]") != std::string::npos);
    BOOST_TEST(smtp::cli::usage("smtpd").find("[--sni-dir DIR]") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
