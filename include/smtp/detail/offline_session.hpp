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
                             capabilities f = {.eight_bit_mime = DecodePolicy::eight_bit_mime})
        : opts_(opts), features_(f), proto_(opts_, hostname, features_, session_, envelope_, out_) {
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
                perform(proto_.template finish_chunk<DecodePolicy>());
                continue;
            }
            if (in_data_) {
                rest.remove_prefix(proto_.feed_data(rest));
                if (!proto_.data().done()) break;
                in_data_ = false;
                perform(proto_.template finish_data<DecodePolicy>());
                continue;
            }
            auto event = proto_.next_line(rest);
            rest.remove_prefix(event.consumed);
            if (event.what == line_reader::kind::need_more) break;
            if (event.what == line_reader::kind::too_long) {
                proto_.line_too_long();
                continue;
            }
            perform(proto_.on_line(event.line));
        }
        buffer_.erase(0, buffer_.size() - rest.size());
        return open_;
    }

    /// Lets this client send XCLIENT and XFORWARD (as the server does for a trusted address).
    void trust_forwarding(bool xclient, bool xforward) {
        proto_.trust_forwarding(xclient, xforward);
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
    // What the server does for a handler without hooks, with no I/O: the protocol decides.
    void perform(next_action next) {
        switch (next.what) {
        case next_action::kind::read_command: break;
        case next_action::kind::close: open_ = false; break;
        case next_action::kind::call_hook:
            if (next.hook == verb::data) delivered_.push_back(envelope_.original_content);
            perform(proto_.answer_by_default());
            break;
        case next_action::kind::receive_data: in_data_ = true; break;
        case next_action::kind::receive_chunk:
            if (proto_.chunk_remaining() != 0)
                in_chunk_ = true;
            else
                perform(proto_.template finish_chunk<DecodePolicy>()); // BDAT 0 LAST
            break;
        case next_action::kind::authenticate: // no mechanism runs without a connection
            proto_.write(504, "", "5.5.4 Unrecognized authentication type");
            break;
        case next_action::kind::start_tls: tls_started(); break; // as if the handshake passed
        }
    }

    options opts_;
    capabilities features_;
    session session_;
    envelope<content_type> envelope_;
    std::string out_;
    protocol<content_type> proto_;
    std::string buffer_;
    std::vector<std::string> delivered_;
    bool in_data_ = false;
    bool in_chunk_ = false;
    bool open_ = true;
};

} // namespace smtp::detail

#endif
