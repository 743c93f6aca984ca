// The command line's milter flags: parsed, checked, and made into a smtp::milter::config.
#include <smtp/cli.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(milter_cli)

BOOST_AUTO_TEST_CASE(flags_make_the_config) {
    auto args =
        smtp::cli::parse(strings{"--milter", "inet:127.0.0.1:8891", "--milter", "unix:/run/f.sock",
                                 "--milter-default-action", "accept", "--milter-timeout", "2"});
    BOOST_TEST(args.milters == (strings{"inet:127.0.0.1:8891", "unix:/run/f.sock"}));
    auto cfg = smtp::cli::detail::milter_config(args);
    BOOST_TEST_REQUIRE(cfg.filters.size() == 2u);
    BOOST_TEST(cfg.filters[0].port == 8891);
    BOOST_TEST(cfg.filters[1].local);
    BOOST_TEST((cfg.default_action == smtp::milter::default_action::accept));
    BOOST_TEST(cfg.limits.connect.count() == 2000);
    BOOST_TEST(cfg.limits.command.count() == 2000);
    BOOST_TEST(cfg.limits.end_of_message.count() == 20000);
}

BOOST_AUTO_TEST_CASE(defaults_are_postfix_s) {
    auto cfg = smtp::cli::detail::milter_config(smtp::cli::parse(strings{}));
    BOOST_TEST(cfg.filters.empty());
    BOOST_TEST((cfg.default_action == smtp::milter::default_action::tempfail));
    BOOST_TEST(cfg.limits.command.count() == 30000);
    BOOST_TEST(cfg.limits.end_of_message.count() == 300000);
}

BOOST_AUTO_TEST_CASE(bad_values_are_usage_errors) {
    BOOST_CHECK_THROW(smtp::cli::parse(strings{"--milter", "localhost:8891"}), smtp::usage_error);
    BOOST_CHECK_THROW(smtp::cli::parse(strings{"--milter-default-action", "defer"}),
                      smtp::usage_error);
    BOOST_CHECK_THROW(smtp::cli::parse(strings{"--milter-timeout", "0"}), smtp::usage_error);
    auto help = smtp::cli::help("smtpd", {});
    BOOST_TEST(help.find("--milter inet:HOST:PORT|unix:/PATH") != std::string::npos, help);
}

BOOST_AUTO_TEST_SUITE_END()
