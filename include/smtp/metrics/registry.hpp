#ifndef SMTP_METRICS_REGISTRY_HPP
#define SMTP_METRICS_REGISTRY_HPP

#include <smtp/stats.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

/// \file
/// The server's counters in Prometheus form: what smtp::metrics::observed records and the
/// `/metrics` endpoint (metrics/http_server.hpp) renders. docs/operations.md lists the metrics.
namespace smtp::metrics {

/// The label values a counter can take; fixed, so that no client can grow the number of series
/// (an unknown verb counts as `other`).
namespace labels {
/// `smtp_commands_total{verb}`.
inline constexpr std::array<std::string_view, 17> verbs = {
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA",     "BDAT",    "RSET", "NOOP",
    "QUIT", "VRFY", "EXPN", "HELP", "AUTH", "STARTTLS", "XCLIENT", "other"};
/// `smtp_replies_total{code_class}`.
inline constexpr std::array<std::string_view, 4> code_classes = {"2xx", "3xx", "4xx", "5xx"};
/// `smtp_messages_total{result}`.
inline constexpr std::array<std::string_view, 3> results = {"accepted", "rejected", "aborted"};
/// `smtp_auth_total{mechanism}`.
inline constexpr std::array<std::string_view, 5> mechanisms = {"PLAIN", "LOGIN", "CRAM-MD5",
                                                               "XOAUTH2", "other"};
/// `smtp_tls_handshakes_total{version}` (`unknown` for a failed handshake).
inline constexpr std::array<std::string_view, 4> tls_versions = {"TLSv1.2", "TLSv1.3", "other",
                                                                 "unknown"};
/// `smtp_limit_hits_total{limit}`, in the order of smtp::limit.
inline constexpr std::array<std::string_view, 9> limits = {
    "connections",     "connections_per_client", "auth_failures",  "message_size",     "timeout",
    "connection_rate", "message_rate",           "recipient_rate", "auth_failure_rate"};
/// Upper bounds of `smtp_message_size_bytes`' buckets (`+Inf` follows).
inline constexpr std::array<std::uint64_t, 9> size_buckets = {
    1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
/// Upper bounds of `smtp_message_duration_seconds`' buckets, in milliseconds (`+Inf` follows).
inline constexpr std::array<std::uint64_t, 13> duration_buckets_ms = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
} // namespace labels

/// Which message result a message counts as.
enum class result : std::uint8_t { accepted, rejected, aborted };

/// The counters of one server (or of several: a registry may be shared).
///
/// Recording is lock-free and touches no shared cache line: each thread adds to a shard of its
/// own (relaxed atomic additions on a cache line no other thread writes, unless more threads
/// than shards record), and a scrape sums the shards. Any thread may record and render at any
/// time. Made once and kept for as long as the servers that record into it (it is large:
/// shards × counters × 8 bytes).
class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    /// A connection was accepted.
    void connection_opened() noexcept { add(at::connections_opened); }
    /// A connection closed.
    void connection_closed() noexcept { add(at::connections_closed); }
    /// A command line was received; `line` is the line (its verb is what counts).
    void command(std::string_view line) noexcept { add(at::commands + verb_index(line)); }
    /// A final reply line with `code` was sent.
    void reply(int code) noexcept {
        if (code >= 200 && code < 600) add(at::replies + std::size_t(code / 100 - 2));
    }
    /// A message ended: accepted, rejected or aborted, with its figures.
    void message(result r, const message_stats& stats) noexcept {
        add(at::messages + std::size_t(r));
        if (r == result::accepted) add(at::recipients, stats.recipients);
        if (r == result::aborted) return;
        std::size_t bucket = 0;
        while (bucket < labels::size_buckets.size() && stats.size > labels::size_buckets[bucket])
            ++bucket;
        add(at::size_buckets + bucket);
        add(at::size_sum, stats.size);
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(stats.duration).count();
        auto us = micros < 0 ? std::uint64_t(0) : std::uint64_t(micros);
        bucket = 0;
        while (bucket < labels::duration_buckets_ms.size() &&
               us > labels::duration_buckets_ms[bucket] * 1000)
            ++bucket;
        add(at::duration_buckets + bucket);
        add(at::duration_sum_us, us);
    }
    /// An AUTH exchange ended.
    void auth(std::string_view mechanism, bool success) noexcept {
        add(at::auth + index_of(labels::mechanisms, mechanism) * 2 + (success ? 0 : 1));
    }
    /// A TLS handshake ended; `version` as OpenSSL names it ("TLSv1.3"), empty on failure.
    void tls(std::string_view version, bool success) noexcept {
        std::size_t v = !success ? 3 : version == "TLSv1.2" ? 0 : version == "TLSv1.3" ? 1 : 2;
        add(at::tls + v * 2 + (success ? 0 : 1));
    }
    /// A limit refused something.
    void limit_hit(smtp::limit which) noexcept {
        if (std::size_t(which) < labels::limits.size()) add(at::limits + std::size_t(which));
    }

    /// The Prometheus text exposition format (version 0.0.4) of every counter, summed over the
    /// shards.
    std::string exposition() const;

private:
    // Where each counter (or family of counters) starts in a shard.
    struct at {
        static constexpr std::size_t connections_opened = 0;
        static constexpr std::size_t connections_closed = 1;
        static constexpr std::size_t commands = 2;
        static constexpr std::size_t replies = commands + labels::verbs.size();
        static constexpr std::size_t messages = replies + labels::code_classes.size();
        static constexpr std::size_t recipients = messages + labels::results.size();
        static constexpr std::size_t size_buckets = recipients + 1;
        static constexpr std::size_t size_sum = size_buckets + labels::size_buckets.size() + 1;
        static constexpr std::size_t duration_buckets = size_sum + 1;
        static constexpr std::size_t duration_sum_us =
            duration_buckets + labels::duration_buckets_ms.size() + 1;
        static constexpr std::size_t auth = duration_sum_us + 1;
        static constexpr std::size_t tls = auth + labels::mechanisms.size() * 2;
        static constexpr std::size_t limits = tls + labels::tls_versions.size() * 2;
        static constexpr std::size_t count = limits + labels::limits.size();
    };
    static constexpr std::size_t shard_count = 16;

    struct alignas(64) shard {
        std::array<std::atomic<std::uint64_t>, at::count> values{};
    };

    /// This thread's shard: threads take shards in turn as they first record.
    shard& mine() noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t index =
            next.fetch_add(1, std::memory_order_relaxed) % shard_count;
        return shards_[index];
    }
    void add(std::size_t counter, std::uint64_t n = 1) noexcept {
        mine().values[counter].fetch_add(n, std::memory_order_relaxed);
    }
    std::uint64_t sum(std::size_t counter) const noexcept {
        std::uint64_t total = 0;
        for (const auto& s : shards_)
            total += s.values[counter].load(std::memory_order_relaxed);
        return total;
    }

    template <std::size_t N>
    static std::size_t index_of(const std::array<std::string_view, N>& names,
                                std::string_view name) noexcept {
        for (std::size_t i = 0; i + 1 < N; ++i)
            if (equal_ignoring_case(names[i], name)) return i;
        return N - 1; // "other"
    }
    static bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = b[i];
            if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
            if (a[i] != c) return false;
        }
        return true;
    }
    static std::size_t verb_index(std::string_view line) noexcept {
        std::size_t end = line.find_first_of(" \r\n");
        return index_of(labels::verbs, line.substr(0, end));
    }

    std::array<shard, shard_count> shards_{};
};

inline std::string registry::exposition() const {
    std::string out;
    out.reserve(6000);
    auto number = [&](std::uint64_t n) { out.append(std::to_string(n)).push_back('\n'); };
    auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
        out.append("# HELP ").append(name).append(" ").append(help).push_back('\n');
        out.append("# TYPE ").append(name).append(" ").append(type).push_back('\n');
    };
    auto labelled = [&](std::string_view name, std::string_view label, std::string_view value) {
        out.append(name).append("{").append(label).append("=\"").append(value).append("\"} ");
    };
    std::uint64_t opened = sum(at::connections_opened);
    std::uint64_t closed = sum(at::connections_closed);

    header("smtp_connections_total", "counter", "Connections accepted.");
    out.append("smtp_connections_total ");
    number(opened);
    header("smtp_connections_active", "gauge", "Connections open now.");
    out.append("smtp_connections_active ");
    number(opened >= closed ? opened - closed : 0);

    header("smtp_commands_total", "counter", "Command lines received, by verb.");
    for (std::size_t i = 0; i < labels::verbs.size(); ++i) {
        labelled("smtp_commands_total", "verb", labels::verbs[i]);
        number(sum(at::commands + i));
    }
    header("smtp_replies_total", "counter", "Final reply lines sent, by code class.");
    for (std::size_t i = 0; i < labels::code_classes.size(); ++i) {
        labelled("smtp_replies_total", "code_class", labels::code_classes[i]);
        number(sum(at::replies + i));
    }
    header("smtp_messages_total", "counter",
           "Messages ended: accepted (2xx after DATA), rejected, or aborted by the client.");
    for (std::size_t i = 0; i < labels::results.size(); ++i) {
        labelled("smtp_messages_total", "result", labels::results[i]);
        number(sum(at::messages + i));
    }
    header("smtp_recipients_total", "counter", "Recipients of accepted messages.");
    out.append("smtp_recipients_total ");
    number(sum(at::recipients));

    header("smtp_message_size_bytes", "histogram",
           "Size of accepted and rejected messages as received.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= labels::size_buckets.size(); ++i) {
        cumulative += sum(at::size_buckets + i);
        std::string bound = i < labels::size_buckets.size()
                                ? std::to_string(labels::size_buckets[i])
                                : std::string("+Inf");
        labelled("smtp_message_size_bytes_bucket", "le", bound);
        number(cumulative);
    }
    out.append("smtp_message_size_bytes_sum ");
    number(sum(at::size_sum));
    out.append("smtp_message_size_bytes_count ");
    number(cumulative);

    header("smtp_message_duration_seconds", "histogram",
           "From DATA (or the first BDAT) to the reply: the transfer and the handler's work.");
    cumulative = 0;
    char text[32];
    for (std::size_t i = 0; i <= labels::duration_buckets_ms.size(); ++i) {
        cumulative += sum(at::duration_buckets + i);
        std::string bound = "+Inf";
        if (i < labels::duration_buckets_ms.size()) {
            std::snprintf(text, sizeof text, "%g", double(labels::duration_buckets_ms[i]) / 1000);
            bound = text;
        }
        labelled("smtp_message_duration_seconds_bucket", "le", bound);
        number(cumulative);
    }
    std::snprintf(text, sizeof text, "%.6f", double(sum(at::duration_sum_us)) / 1e6);
    out.append("smtp_message_duration_seconds_sum ").append(text).push_back('\n');
    out.append("smtp_message_duration_seconds_count ");
    number(cumulative);

    header("smtp_auth_total", "counter", "AUTH exchanges, by mechanism and result.");
    for (std::size_t m = 0; m < labels::mechanisms.size(); ++m)
        for (std::size_t r = 0; r < 2; ++r) {
            out.append("smtp_auth_total{mechanism=\"")
                .append(labels::mechanisms[m])
                .append("\",result=\"")
                .append(r == 0 ? "success" : "failure")
                .append("\"} ");
            number(sum(at::auth + m * 2 + r));
        }
    header("smtp_tls_handshakes_total", "counter", "TLS handshakes, by version and result.");
    for (std::size_t v = 0; v < labels::tls_versions.size(); ++v)
        for (std::size_t r = 0; r < 2; ++r) {
            // A failed handshake has no version; a successful one always has one.
            if ((v == 3) != (r == 1)) continue;
            out.append("smtp_tls_handshakes_total{version=\"")
                .append(labels::tls_versions[v])
                .append("\",result=\"")
                .append(r == 0 ? "success" : "failure")
                .append("\"} ");
            number(sum(at::tls + v * 2 + r));
        }
    header("smtp_limit_hits_total", "counter", "Requests refused by a configured limit.");
    for (std::size_t i = 0; i < labels::limits.size(); ++i) {
        labelled("smtp_limit_hits_total", "limit", labels::limits[i]);
        number(sum(at::limits + i));
    }
    return out;
}

} // namespace smtp::metrics

#endif
