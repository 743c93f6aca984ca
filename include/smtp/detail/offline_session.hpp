#ifndef SMTP_DETAIL_OFFLINE_SESSION_HPP
#define SMTP_DETAIL_OFFLINE_SESSION_HPP

#include <smtp/decode.hpp>
#include <smtp/detail/protocol.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace smtp::detail {

/// A whole SMTP session with no sockets and no hooks: bytes in, reply bytes out.
///
/// It runs the protocol exactly as the server does for a handler without hooks (every default
/// behaviour), so the state machine can be tested with any input split anywhere, and fuzzed.
/// Accepted messages are kept in `delivered()`.
template <class DecodePolicy = decode::bytes>
class offline_session {
public:
    using content_type = typename DecodePolicy::content_type;

    explicit offline_session(const options& opts, std::string_view hostname = "mx.test",
                             features f = {.eight_bit_mime = DecodePolicy::eight_bit_mime})
        : opts_(opts), proto_(opts_, hostname, f, session_, envelope_, out_) {
        proto_.greet();
    }

    /// Feeds received bytes, in any pieces. Returns false once the session has ended (QUIT,
    /// a limit); later input is ignored.
    bool feed(std::string_view input) {
        buffer_.append(input);
        std::string_view rest = buffer_;
        while (open_ && !rest.empty()) {
            if (in_chunk_) {
                std::string_view mine = proto_.take_chunk(rest);
                if (!proto_.chunk_dropped()) envelope_.original_content.append(mine);
                rest.remove_prefix(mine.size());
                if (proto_.chunk_remaining() != 0) break;
                in_chunk_ = false;
                if (proto_.template finish_chunk<DecodePolicy>() == step::proceed) deliver();
                continue;
            }
            if (in_data_) {
                rest.remove_prefix(proto_.feed_data(rest));
                if (!proto_.data().done()) break;
                in_data_ = false;
                if (proto_.template finish_data<DecodePolicy>() == step::proceed) deliver();
                continue;
            }
            auto event = proto_.next_line(rest);
            rest.remove_prefix(event.consumed);
            if (event.what == line_reader::kind::need_more) break;
            if (event.what == line_reader::kind::too_long) {
                proto_.line_too_long();
                continue;
            }
            on_line(event.line);
        }
        buffer_.erase(0, buffer_.size() - rest.size());
        return open_;
    }

    /// TLS is now active, as after a successful STARTTLS (the session starts over).
    void tls_started() {
        proto_.tls_started();
        session_ = {};
    }

    /// Everything the server has written so far.
    const std::string& output() const noexcept { return out_; }
    /// Takes the output written so far.
    std::string take_output() { return std::exchange(out_, {}); }
    /// The content of each message accepted with 250, in order.
    const std::vector<std::string>& delivered() const noexcept { return delivered_; }
    bool open() const noexcept { return open_; }
    const session& current_session() const noexcept { return session_; }
    const envelope<content_type>& current_envelope() const noexcept { return envelope_; }

private:
    void deliver() {
        delivered_.push_back(envelope_.original_content);
        proto_.write_data_reply(reply::ok());
        proto_.reset_transaction();
    }

    void on_line(std::string_view line) {
        step s = proto_.on_line(line, cmd_);
        if (s == step::close) open_ = false;
        if (s != step::proceed) return;
        switch (cmd_.id) {
        case verb::helo:
            if (proto_.check_helo(cmd_) == step::proceed) proto_.default_helo(cmd_);
            break;
        case verb::ehlo:
            if (proto_.check_helo(cmd_) == step::proceed) proto_.default_ehlo(cmd_);
            break;
        case verb::noop: proto_.write(250, "2.0.0", "OK"); break;
        case verb::quit:
            if (proto_.check_quit(cmd_) == step::proceed) {
                proto_.write(221, "2.0.0", "Bye");
                open_ = false;
            }
            break;
        case verb::rset:
            if (proto_.check_rset(cmd_) == step::proceed) proto_.write(250, "2.0.0", "OK");
            break;
        case verb::vrfy: {
            std::string address;
            if (proto_.check_vrfy(cmd_, address) == step::proceed) proto_.default_vrfy();
            break;
        }
        case verb::mail:
            switch (proto_.check_mail(cmd_, proto_.path())) {
            case step::proceed: proto_.default_mail(proto_.path()); break;
            case step::close: open_ = false; break;
            case step::replied: break;
            }
            break;
        case verb::rcpt:
            if (proto_.check_rcpt(cmd_, proto_.path()) == step::proceed)
                proto_.default_rcpt(proto_.path());
            break;
        case verb::data: in_data_ = proto_.check_data(cmd_) == step::proceed; break;
        case verb::bdat:
            if (proto_.check_bdat(cmd_) == step::close) {
                open_ = false;
            } else if (proto_.chunk_remaining() != 0) {
                in_chunk_ = true;
            } else if (proto_.template finish_chunk<DecodePolicy>() == step::proceed) {
                deliver(); // BDAT 0 LAST
            }
            break;
        case verb::help: proto_.help(cmd_); break;
        case verb::expn: proto_.expn(); break;
        case verb::auth: {
            std::string_view mechanism, initial;
            if (proto_.check_auth(cmd_, mechanism, initial) == step::proceed)
                proto_.write(504, "", "5.5.4 Unrecognized authentication type");
            break;
        }
        case verb::starttls:
            if (proto_.check_starttls(cmd_) == step::proceed)
                proto_.write(454, "4.7.0", "TLS not available");
            break;
        case verb::lhlo:
        case verb::unknown: break;
        }
    }

    options opts_;
    session session_;
    envelope<content_type> envelope_;
    std::string out_;
    protocol<content_type> proto_;
    command cmd_;
    std::string buffer_;
    std::vector<std::string> delivered_;
    bool in_data_ = false;
    bool in_chunk_ = false;
    bool open_ = true;
};

} // namespace smtp::detail

#endif
