#ifndef SMTP_SRC_HPP
#define SMTP_SRC_HPP

// Separate compilation (docs/packaging.md): include this file in exactly one .cpp file of the
// program, and define SMTP_SEPARATE_COMPILATION in every translation unit (the CMake target
// smtp::smtp_compiled does both). The library's functions that do not depend on a Handler are
// then compiled here, once, instead of in every file that names a server.

#if !defined(SMTP_SEPARATE_COMPILATION)
#error "<smtp/src.hpp> is for SMTP_SEPARATE_COMPILATION builds: define it in every translation unit"
#endif

#include <smtp/smtp.hpp>

#include <smtp/impl/auth_builtin.ipp>
#include <smtp/impl/base64.ipp>
#include <smtp/impl/client.ipp>
#include <smtp/impl/connection.ipp>
#include <smtp/impl/controller.ipp>
#include <smtp/impl/data_reader.ipp>
#include <smtp/impl/debugging.ipp>
#include <smtp/impl/forwarding_trust.ipp>
#include <smtp/impl/offload.ipp>
#include <smtp/impl/received.ipp>
#include <smtp/impl/reply.ipp>
#include <smtp/impl/sendmail.ipp>
#include <smtp/impl/server_base.ipp>
#include <smtp/impl/write_reply.ipp>

namespace smtp::handlers {
template std::string debugging::format(const session&, const envelope<std::string_view>&);
} // namespace smtp::handlers

namespace smtp::detail {
template class protocol<std::string_view>;
template next_action protocol<std::string_view>::finish_data<decode::bytes>();
template next_action protocol<std::string_view>::finish_data<decode::utf8>();
template next_action protocol<std::string_view>::finish_chunk<decode::bytes>(bool);
template next_action protocol<std::string_view>::finish_chunk<decode::utf8>(bool);
template boost::asio::awaitable<bool> server_base::admit(served_connection&, connection_count&,
                                                         bool, no_admission_hooks);
template boost::asio::awaitable<server_base::outcome>
server_base::conclude_exchange(served_connection&, std::string_view,
                               boost::asio::awaitable<auth_result>, no_auth_observer);
template boost::asio::awaitable<bool> read_data_body(served_connection&,
                                                     protocol<std::string_view>&);
template boost::asio::awaitable<bool>
read_chunk_body(served_connection&, protocol<std::string_view>&, envelope<std::string_view>&);
} // namespace smtp::detail

#endif
