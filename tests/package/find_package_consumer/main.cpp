// The package tests' consumer: starts a sink server on a free port, connects with a raw Asio
// socket and exits 0 only if the greeting is a "220 " line, as is the greeting of a session of
// the testing kit (installed too, outside smtp.hpp).
#include <smtp/smtp.hpp>
#include <smtp/testing/session.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>

#include <exception>
#include <iostream>
#include <string>

int main() {
    try {
        smtp::controller<smtp::server<smtp::handlers::sink>> mx{
            {}, {.hostname = "package.test"}, {"127.0.0.1", 0}};
        mx.start();

        boost::asio::io_context io;
        boost::asio::ip::tcp::socket socket(io);
        socket.connect(mx.endpoint());
        std::string greeting;
        auto n = boost::asio::read_until(socket, boost::asio::dynamic_buffer(greeting), "\r\n");
        greeting.resize(n - 2);
        socket.close();
        mx.stop();

        smtp::testing::session<smtp::handlers::sink> tested{{}, {.hostname = "package.test"}};
        int tested_code = tested.greeting().code;

        std::cout << "smtp " << smtp::version_string << " greeted: " << greeting << std::endl;
        return greeting.starts_with("220 ") && tested_code == 220 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << std::endl;
        return 1;
    }
}
