#ifndef SMTP_CLI_PASSWORD_FILE_HPP
#define SMTP_CLI_PASSWORD_FILE_HPP

#include <smtp/usage_error.hpp>

#include <crypt.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

/// \file
/// `--auth-file FILE`: accounts kept as password hashes, in the format of Dovecot's
/// passwd-file and of `mkpasswd` output: one `user:hash` a line (further `:`-separated fields
/// are ignored), blank lines and `#` comments skipped. The hash is in crypt(3) form — yescrypt
/// `$y$`, SHA-512 `$6$`, bcrypt `$2b$`, whatever the system's libcrypt (libxcrypt) checks —
/// optionally behind a Dovecot scheme prefix such as `{SHA512-CRYPT}`. Linking needs `-lcrypt`.
namespace smtp::cli::detail {

/// One account of a password file.
struct hashed_account {
    std::string user;
    std::string hash; // crypt(3) form: "$y$...", "$6$..."
};

/// Parses a password file's text; `name` names it in errors. Throws `smtp::usage_error`
/// naming the line of the first malformed entry or unsupported hash.
inline std::vector<hashed_account> parse_password_file(std::string_view text,
                                                       std::string_view name) {
    std::vector<hashed_account> accounts;
    std::size_t number = 0;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++number;
        if (line.ends_with('\r')) line.remove_suffix(1);
        std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        auto fail = [&](std::string_view why) {
            return usage_error(std::string(name) + ", line " + std::to_string(number) + ": " +
                               std::string(why));
        };
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) throw fail("expected user:hash");
        std::string_view hash = line.substr(colon + 1);
        hash = hash.substr(0, hash.find(':'));
        if (hash.starts_with('{')) // a Dovecot scheme, e.g. {SHA512-CRYPT}: the rest is crypt(3)
            hash.remove_prefix(std::min(hash.size(), hash.find('}') + 1));
        std::string stored(hash);
        if (!hash.starts_with('$') || ::crypt_checksalt(stored.c_str()) != CRYPT_SALT_OK)
            throw fail("not a password hash this system's crypt(3) accepts ($y$, $6$, $2b$, ...)");
        accounts.push_back({std::string(line.substr(0, colon)), std::move(stored)});
    }
    return accounts;
}

/// Whether `password` hashes to `hash`; the result is compared in constant time. Slow by
/// design (that is the hash's purpose): call it off the I/O threads.
inline bool password_matches(const std::string& hash, std::string_view password) {
    if (password.find('\0') != std::string_view::npos) return false; // crypt() takes C strings
    auto scratch = std::make_unique<::crypt_data>();                 // ~32 KiB, zeroed
    std::string phrase(password);
    const char* out = ::crypt_rn(phrase.c_str(), hash.c_str(), scratch.get(), sizeof *scratch);
    return out != nullptr && out[0] != '*' && std::strlen(out) == hash.size() &&
           CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

/// Reads and parses `path`. Throws `smtp::usage_error` when it cannot be read or parsed.
/// Returns the text of a warning when others than the owner may read the file, else "".
inline std::string load_password_file(const std::string& path,
                                      std::vector<hashed_account>& accounts) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw usage_error("cannot read the auth file " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    accounts = parse_password_file(text.str(), path);
    struct ::stat status {};
    if (::stat(path.c_str(), &status) == 0 && (status.st_mode & S_IROTH) != 0)
        return "the auth file " + path + " is readable by every user (chmod o-r)";
    return {};
}

} // namespace smtp::cli::detail

#endif
