// Control for the compile-fail tests: a handler with every hook, each well formed, compiles.
#include <smtp/server.hpp>

// Declared MAIL and RCPT parameters, well formed.
struct priority {
    static constexpr std::string_view keyword = "MT-PRIORITY";
    static constexpr std::string_view ehlo = "MT-PRIORITY MIXER";
    static smtp::reply check(std::string_view) { return {}; }
};
struct flag {
    static constexpr std::string_view keyword = "X-FLAG";
    static constexpr smtp::parameter_value value = smtp::parameter_value::none;
};

struct every_hook {
    using env = smtp::envelope<>;
    using mail_parameters = smtp::parameters<priority>;
    using rcpt_parameters = smtp::parameters<flag>;
    smtp::reply handle_HELO(smtp::connection&, smtp::session&, env&, std::string_view) {
        return {};
    }
    std::vector<std::string> handle_EHLO(smtp::connection&, smtp::session&, env&, std::string_view,
                                         std::vector<std::string> lines) {
        return lines;
    }
    smtp::reply handle_NOOP(smtp::connection&, smtp::session&, env&, std::string_view) {
        return {};
    }
    smtp::reply handle_QUIT(smtp::connection&, smtp::session&, env&) { return {}; }
    smtp::reply handle_RSET(smtp::connection&, smtp::session&, env&) { return {}; }
    smtp::reply handle_VRFY(smtp::connection&, smtp::session&, env&, std::string_view) {
        return {};
    }
    boost::asio::awaitable<smtp::reply> handle_MAIL(smtp::connection&, smtp::session&, env&,
                                                    std::string_view,
                                                    std::span<const std::string>) {
        co_return smtp::reply::ok();
    }
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, env&, std::string_view,
                            std::span<const std::string>) {
        return {};
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, env&) { return {}; }
    smtp::reply handle_exception(const std::exception&) { return {}; }
};

template class smtp::server<every_hook>;
