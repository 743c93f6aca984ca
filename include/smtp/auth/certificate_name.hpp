#ifndef SMTP_AUTH_CERTIFICATE_NAME_HPP
#define SMTP_AUTH_CERTIFICATE_NAME_HPP

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

/// \file
/// The name a client certificate gives its holder, for EXTERNAL (auth/external.hpp): what
/// `smtpd --auth-external` maps a certificate to.
namespace smtp::auth {

/// The subject's common name (CN) of the PEM certificate `pem` or, without one, its first
/// subjectAltName email address. Nothing when the PEM does not parse, or has neither.
inline std::optional<std::string> certificate_name(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&::BIO_free)> bio(
        ::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &::BIO_free);
    if (!bio) return std::nullopt;
    std::unique_ptr<X509, decltype(&::X509_free)> cert(
        ::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &::X509_free);
    if (!cert) return std::nullopt;
    X509_NAME* subject = ::X509_get_subject_name(cert.get());
    int at = subject ? ::X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (at >= 0) {
        ASN1_STRING* data = ::X509_NAME_ENTRY_get_data(::X509_NAME_get_entry(subject, at));
        unsigned char* utf8 = nullptr;
        int size = ::ASN1_STRING_to_UTF8(&utf8, data);
        if (size > 0) {
            std::string name(reinterpret_cast<char*>(utf8), std::size_t(size));
            ::OPENSSL_free(utf8);
            // A name with a NUL inside would compare equal to a shorter one elsewhere.
            if (name.find('\0') == std::string::npos) return name;
            return std::nullopt;
        }
        ::OPENSSL_free(utf8);
    }
    std::unique_ptr<GENERAL_NAMES, decltype(&::GENERAL_NAMES_free)> names(
        static_cast<GENERAL_NAMES*>(
            ::X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)),
        &::GENERAL_NAMES_free);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type != GEN_EMAIL) continue;
        const ASN1_IA5STRING* email = name->d.rfc822Name;
        std::string text(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(email)),
                         std::size_t(::ASN1_STRING_length(email)));
        if (text.find('\0') != std::string::npos) return std::nullopt;
        return text;
    }
    return std::nullopt;
}

} // namespace smtp::auth

#endif
