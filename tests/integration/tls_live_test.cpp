#include "certificates.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

// smtpd's TLS operations with real peers: AUTH EXTERNAL with a client certificate through
// `openssl s_client`, and certificates replaced on disk and reloaded on SIGHUP while a TLS
// session stays open.

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: every test is skipped
#endif

namespace {

using smtp_test::contains;

using namespace std::chrono_literals;
using smtp_test::certificates;
using smtp_test::run_command;

// `openssl s_client` after STARTTLS, with the client certificate when given, sending `lines`
// (LF becomes CRLF) and reading until the server closes.
std::string s_client(std::uint16_t port, const std::string& lines, bool with_certificate) {
    const auto& certs = certificates::get();
    std::string command = "sh -c 'printf \"" + lines +
                          "\" | openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                          " -starttls smtp -crlf -ign_eof -quiet -verify_quiet";
    if (with_certificate) command += " -cert " + certs.client_cert + " -key " + certs.client_key;
    return run_command(command + " 2>&1'").output;
}

// The serial number (hex) of the certificate a new STARTTLS connection is served.
std::string served_serial(std::uint16_t port) {
    return run_command("sh -c 'openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                       " -starttls smtp </dev/null 2>/dev/null | openssl x509 -noout -serial'")
        .output;
}

// The subject of the certificate a new STARTTLS connection asking for `name` is served.
std::string served_subject(std::uint16_t port, const std::string& name) {
    return run_command("sh -c 'openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                       " -starttls smtp -servername " + name +
                       " </dev/null 2>/dev/null | openssl x509 -noout -subject'")
        .output;
}

auto needs_smtpd() {
    return boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
        return boost::unit_test::assertion_result(*SMTPD_PATH != '\0');
    });
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_external, *needs_smtpd())

BOOST_AUTO_TEST_CASE(s_client_certificate_logs_in) {
    const auto& certs = certificates::get();
    smtp_test::smtpd_process server(SMTPD_PATH,
                                    {"-t", certs.mx_cert, "-k", certs.mx_key, "--tls-client-ca",
                                     certs.ca, "--auth-external", "--auth-failure-delay", "0"});
    server.connect(); // listening
    // "=": the certificate's own identity (its CN, client.test); then that name as the
    // authorization identity (Y2xpZW50LnRlc3Q=), and someone else's (c29tZW9uZQ==).
    auto out = s_client(server.port, "EHLO x\\nAUTH EXTERNAL =\\nQUIT\\n", true);
    BOOST_TEST_INFO("s_client said: " << out);
    BOOST_TEST(contains(out, "250-AUTH EXTERNAL LOGIN PLAIN"));
    BOOST_TEST(contains(out, "235 2.7.0 Authentication successful"));
    out = s_client(server.port, "EHLO x\\nAUTH EXTERNAL Y2xpZW50LnRlc3Q=\\nQUIT\\n", true);
    BOOST_TEST_INFO("s_client said: " << out);
    BOOST_TEST(contains(out, "235 2.7.0 Authentication successful"));
    out = s_client(server.port, "EHLO x\\nAUTH EXTERNAL c29tZW9uZQ==\\nQUIT\\n", true);
    BOOST_TEST_INFO("s_client said: " << out);
    BOOST_TEST(contains(out, "535 5.7.8 Authentication credentials invalid"));
}

BOOST_AUTO_TEST_CASE(not_offered_without_a_client_certificate) {
    const auto& certs = certificates::get();
    smtp_test::smtpd_process server(SMTPD_PATH, {"-t", certs.mx_cert, "-k", certs.mx_key,
                                                 "--tls-client-ca", certs.ca, "--auth-external"});
    server.connect();
    auto out = s_client(server.port, "EHLO x\\nAUTH EXTERNAL =\\nQUIT\\n", false);
    BOOST_TEST_INFO("s_client said: " << out);
    BOOST_TEST(contains(out, "250-AUTH LOGIN PLAIN\r\n"));
    BOOST_TEST(!contains(out, "EXTERNAL LOGIN"));
    BOOST_TEST(contains(out, "504 5.5.4 Unrecognized authentication type"));
}

// A certificate no configured CA signed (the server's own self-signed one) verifies nothing.
BOOST_AUTO_TEST_CASE(not_offered_for_an_unverified_certificate) {
    const auto& certs = certificates::get();
    smtp_test::smtpd_process server(SMTPD_PATH, {"-t", certs.mx_cert, "-k", certs.mx_key,
                                                 "--tls-client-ca", certs.ca, "--auth-external"});
    server.connect();
    auto out =
        run_command("sh -c 'printf \"EHLO x\\nAUTH EXTERNAL =\\nQUIT\\n\" | openssl "
                    "s_client -connect 127.0.0.1:" +
                    std::to_string(server.port) + " -starttls smtp -crlf -ign_eof -quiet -cert " +
                    certs.other_cert + " -key " + certs.other_key + " 2>&1'")
            .output;
    BOOST_TEST_INFO("s_client said: " << out);
    BOOST_TEST(contains(out, "250-AUTH LOGIN PLAIN\r\n"));
    BOOST_TEST(contains(out, "504 5.5.4 Unrecognized authentication type"));
}

// --tls-client-required: no certificate, no handshake.
BOOST_AUTO_TEST_CASE(required_client_certificate) {
    const auto& certs = certificates::get();
    smtp_test::smtpd_process server(SMTPD_PATH,
                                    {"-t", certs.mx_cert, "-k", certs.mx_key, "--tls-client-ca",
                                     certs.ca, "--tls-client-required"});
    server.connect();
    auto refused = s_client(server.port, "NOOP\\nQUIT\\n", false);
    BOOST_TEST_INFO("s_client said: " << refused);
    BOOST_TEST(!contains(refused, "250 OK"));
    auto accepted = s_client(server.port, "NOOP\\nQUIT\\n", true);
    BOOST_TEST_INFO("s_client said: " << accepted);
    BOOST_TEST(contains(accepted, "250 OK"));
}

BOOST_AUTO_TEST_CASE(usage_errors) {
    const auto& certs = certificates::get();
    for (std::vector<std::string> args :
         {std::vector<std::string>{"--auth-external"},
          {"--tls-client-ca", certs.ca},
          {"-t", certs.mx_cert, "-k", certs.mx_key, "--tls-client-required"},
          {"-t", certs.mx_cert, "-k", certs.mx_key, "--auth-external"},
          {"--oauth-token", "alice"}}) {
        args.insert(args.begin(), SMTPD_PATH);
        smtp_test::child_process child(args);
        auto status = child.wait(10s);
        BOOST_TEST_REQUIRE(status.has_value());
        BOOST_TEST(*status == 2, child.err());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls_reload, *needs_smtpd())

// The files replaced, SIGHUP: a new connection gets the new certificate (serial 2002) while the
// session already under TLS goes on; then a broken file is reported and the last good
// certificate stays.
BOOST_AUTO_TEST_CASE(sighup_reloads_the_certificate_files) {
    smtp_test::temp_dir dir;
    const std::string d = dir.path.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 ";
    auto made = run_command("sh -c 'cd " + d + " && openssl req -x509" + ec +
                            "-set_serial 0x1001 -keyout old.key -out old.pem -subj /CN=mx.test "
                            "&& openssl req -x509" +
                            ec +
                            "-set_serial 0x2002 -keyout new.key -out new.pem -subj /CN=mx.test "
                            "&& cp old.pem live.pem && cp old.key live.key' 2>&1");
    BOOST_TEST_REQUIRE(made.exit_code == 0, made.output);
    smtp_test::smtpd_process server(SMTPD_PATH, {"-t", d + "/live.pem", "-k", d + "/live.key"});
    auto open_session = server.connect();
    open_session.read_reply();
    open_session.command("EHLO x");
    BOOST_TEST_REQUIRE(open_session.command("STARTTLS") == "220 Ready to start TLS\r\n");
    open_session.start_tls();
    BOOST_TEST(served_serial(server.port) == "serial=1001\n");

    std::filesystem::copy_file(d + "/new.pem", d + "/live.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(d + "/new.key", d + "/live.key",
                               std::filesystem::copy_options::overwrite_existing);
    server.child.signal(SIGHUP);
    BOOST_TEST_REQUIRE(server.child.wait_for_output(
        [&] { return contains(server.child.err(), "reloaded the TLS certificates"); }, 10s));
    BOOST_TEST(served_serial(server.port) == "serial=2002\n");

    // The session that began before goes on, on its own TLS.
    BOOST_TEST(open_session.command("EHLO x").starts_with("250-"));
    BOOST_TEST(open_session.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(open_session.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(open_session.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(open_session.command("still here\r\n.") == "250 OK\r\n");
    BOOST_TEST(open_session.command("QUIT") == "221 Bye\r\n");

    std::ofstream(d + "/live.pem") << "not a certificate\n";
    server.child.signal(SIGHUP);
    BOOST_TEST_REQUIRE(server.child.wait_for_output(
        [&] { return contains(server.child.err(), "cannot reload the TLS certificates"); }, 10s));
    BOOST_TEST(served_serial(server.port) == "serial=2002\n");
    auto status = server.terminate();
    BOOST_TEST((status && *status == 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sni_dir, *needs_smtpd())

// --sni-dir: the select_certificate hook serving DIR/NAME.pem; a name that could leave the
// directory, or has no files, gets -t's certificate; SIGHUP reads the files again.
BOOST_AUTO_TEST_CASE(certificates_by_name_from_a_directory) {
    const auto& certs = certificates::get();
    smtp_test::temp_dir dir;
    const std::string d = dir.path.string();
    std::filesystem::copy_file(certs.other_cert, d + "/other.test.pem");
    std::filesystem::copy_file(certs.other_key, d + "/other.test.key");
    smtp_test::smtpd_process server(SMTPD_PATH,
                                    {"-t", certs.mx_cert, "-k", certs.mx_key, "--sni-dir", d});
    server.connect();
    BOOST_TEST(served_subject(server.port, "other.test") == "subject=CN = other.test\n");
    BOOST_TEST(served_subject(server.port, "OTHER.test") == "subject=CN = other.test\n");
    BOOST_TEST(served_subject(server.port, "unknown.test") == "subject=CN = mx.test\n");
    BOOST_TEST(served_subject(server.port, "../" + dir.path.filename().string() + "/other.test") ==
               "subject=CN = mx.test\n");
    // Renamed away: still served from memory until SIGHUP, then the default.
    std::filesystem::rename(d + "/other.test.pem", d + "/gone.pem");
    BOOST_TEST(served_subject(server.port, "other.test") == "subject=CN = other.test\n");
    server.child.signal(SIGHUP);
    BOOST_TEST_REQUIRE(server.child.wait_for_output(
        [&] { return contains(server.child.err(), "reloaded the TLS certificates"); }, 10s));
    BOOST_TEST(served_subject(server.port, "other.test") == "subject=CN = mx.test\n");
}

BOOST_AUTO_TEST_SUITE_END()
