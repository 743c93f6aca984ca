#ifndef SMTP_TESTS_CERTIFICATES_HPP
#define SMTP_TESTS_CERTIFICATES_HPP

// Certificates made at test time with the openssl command: a CA, server certificates for
// mx.test (the default) and other.test (SNI), and a client certificate the CA signed.

#include "run_command.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace smtp_test {

struct certificates {
    std::string dir;
    std::string ca, mx_cert, mx_key, other_cert, other_key, client_cert, client_key;

    /// Made once per test program run, in a fresh temporary directory.
    static const certificates& get() {
        static const certificates made = make();
        return made;
    }

private:
    static certificates make() {
        certificates c;
        char pattern[] = "/tmp/smtp-test-certs-XXXXXX";
        c.dir = ::mkdtemp(pattern);
        auto path = [&](const char* name) { return c.dir + "/" + name; };
        c.ca = path("ca.pem");
        c.mx_cert = path("mx.pem");
        c.mx_key = path("mx.key");
        c.other_cert = path("other.pem");
        c.other_key = path("other.key");
        c.client_cert = path("client.pem");
        c.client_key = path("client.key");
        const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
        std::string script =
            "cd " + c.dir + " && " + "openssl req -x509 -days 2" + ec +
            "-keyout ca.key -out ca.pem -subj /CN=smtp-test-ca && " + "openssl req -x509 -days 2" +
            ec + "-keyout mx.key -out mx.pem -subj /CN=mx.test && " + "openssl req -x509 -days 2" +
            ec + "-keyout other.key -out other.pem -subj /CN=other.test && " + "openssl req" + ec +
            "-keyout client.key -out client.csr -subj /CN=client.test && " +
            "openssl x509 -req -days 2 -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial " +
            "-out client.pem";
        auto result = run_command("sh -c '" + script + "'");
        BOOST_TEST_REQUIRE(result.exit_code == 0, "openssl failed: " << result.output);
        return c;
    }
};

} // namespace smtp_test

#endif
