#ifndef SMTP_CLI_SNI_DIRECTORY_HPP
#define SMTP_CLI_SNI_DIRECTORY_HPP

#include <smtp/tls.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

/// \file
/// `--sni-dir DIR`: the command line's use of the `select_certificate` hook. A client asking
/// for NAME is served `DIR/NAME.pem` with `DIR/NAME.key`, when both exist.
namespace smtp::cli::detail {

/// Where the per-name certificates are, and those loaded so far.
struct sni_directory {
    /// `--sni-dir`; empty: none (the hook leaves every choice to the context).
    std::string path;
    /// `--tls-client-ca`, applied to each certificate loaded, as to `-t`'s.
    std::string client_ca;
    /// `--tls-client-required`.
    bool client_required = false;
};

/// The handler, plus a `select_certificate` hook that serves `--sni-dir` certificates. Each is
/// read at its first handshake and kept (a name without files is remembered too) until
/// forget_certificates(), which smtpd calls on SIGHUP.
template <class Handler>
class with_sni_directory : public Handler {
public:
    with_sni_directory(Handler&& handler, sni_directory where)
        : Handler(std::move(handler)), state_(std::make_shared<state>()) {
        state_->where = std::move(where);
    }

    /// `DIR/<name>.pem` and `.key` for the name the client asked for; null when there is no
    /// directory, the name could reach outside it, or its files are absent or do not load.
    std::shared_ptr<tls_context> select_certificate(std::string_view name) {
        if (state_->where.path.empty() || !safe_name(name)) return nullptr;
        std::lock_guard lock(state_->mutex);
        auto [it, fresh] = state_->loaded.try_emplace(std::string(name));
        if (fresh) it->second = load(std::string(name));
        return it->second;
    }

    /// Drops what was loaded: the next handshake for each name reads its files again.
    void forget_certificates() {
        std::lock_guard lock(state_->mutex);
        state_->loaded.clear();
    }

private:
    struct state {
        sni_directory where;
        std::mutex mutex;
        std::map<std::string, std::shared_ptr<tls_context>, std::less<>> loaded;
    };

    // A host name's letters, digits, '-' and '.', not starting with '.': no '/', no "..".
    static bool safe_name(std::string_view name) {
        if (name.empty() || name.size() > 253 || name.front() == '.') return false;
        for (char c : name)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
                return false;
        return name.find("..") == std::string_view::npos;
    }

    std::shared_ptr<tls_context> load(const std::string& name) const {
        const auto base = std::filesystem::path(state_->where.path) / name;
        const auto chain = base.string() + ".pem", key = base.string() + ".key";
        std::error_code ec;
        if (!std::filesystem::exists(chain, ec) || !std::filesystem::exists(key, ec))
            return nullptr;
        try {
            auto context = tls_context::from_files(chain, key);
            if (!state_->where.client_ca.empty())
                context->verify_clients(state_->where.client_ca, state_->where.client_required);
            return context;
        } catch (const std::exception&) {
            return nullptr; // the default certificate is served instead
        }
    }

    std::shared_ptr<state> state_;
};

} // namespace smtp::cli::detail

#endif
