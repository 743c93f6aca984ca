#ifndef SMTP_IMPL_DEBUGGING_IPP
#define SMTP_IMPL_DEBUGGING_IPP

// The definitions of smtp/handlers/debugging.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/handlers/debugging.hpp>

namespace smtp::handlers::detail {

SMTP_DECL void append_python_repr(std::string& out, std::string_view s) {
    char quote = (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos)
                     ? '"'
                     : '\'';
    out.push_back(quote);
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == quote || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n')
            out.append("\\n");
        else if (c == '\r')
            out.append("\\r");
        else if (c == '\t')
            out.append("\\t");
        else if (u < 0x20 || u == 0x7f) {
            const char* hex = "0123456789abcdef";
            out.append("\\x").push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        } else
            out.push_back(c);
    }
    out.push_back(quote);
}

SMTP_DECL void append_python_list(std::string& out, const std::vector<std::string>& items) {
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.append(", ");
        append_python_repr(out, items[i]);
    }
    out.push_back(']');
}

SMTP_DECL void append_utf8_replacing(std::string& out, std::string_view line) {
    while (!line.empty()) {
        std::size_t good = 0;
        while (good < line.size()) {
            const std::size_t length = smtp::detail::utf8_length(line, good);
            if (length == 0) break;
            good += length;
        }
        out.append(line.substr(0, good));
        if (good == line.size()) return;
        out.append("\xEF\xBF\xBD");
        line.remove_prefix(good + 1);
    }
}

SMTP_DECL bool append_dsn(std::string& out, const envelope_base& env) {
    bool wrote = false;
    if (env.dsn.ret != dsn_return::unspecified || !env.dsn.envid.empty()) {
        out.append("dsn:");
        if (env.dsn.ret != dsn_return::unspecified)
            out.append(env.dsn.ret == dsn_return::full ? " RET=FULL" : " RET=HDRS");
        if (!env.dsn.envid.empty()) {
            out.append(" ENVID=");
            append_python_repr(out, env.dsn.envid);
        }
        out.push_back('\n');
        wrote = true;
    }
    for (std::size_t i = 0; i < env.dsn.recipients.size() && i < env.rcpt_tos.size(); ++i) {
        const recipient_dsn& r = env.dsn.recipients[i];
        if (!r.notify.specified() && r.orcpt_type.empty()) continue;
        out.append("dsn for ");
        append_python_repr(out, env.rcpt_tos[i]);
        out.push_back(':');
        if (r.notify.specified()) {
            std::string notify;
            for (auto [on, name] : {std::pair{r.notify.never, "NEVER"},
                                    {r.notify.success, "SUCCESS"},
                                    {r.notify.failure, "FAILURE"},
                                    {r.notify.delay, "DELAY"}})
                if (on) notify.append(notify.empty() ? "" : ",").append(name);
            out.append(" NOTIFY=").append(notify);
        }
        if (!r.orcpt_type.empty()) {
            out.append(" ORCPT=");
            append_python_repr(out, r.orcpt_type + ";" + r.orcpt);
        }
        out.push_back('\n');
        wrote = true;
    }
    return wrote;
}

SMTP_DECL bool append_forwarded(std::string& out, std::string_view label,
                                const forwarded_client* client) {
    if (!client || client->empty()) return false;
    out.append(label).push_back(':');
    for (auto [name, value] :
         {std::pair<std::string_view, const std::string*>{"NAME", &client->name},
          {"ADDR", &client->addr},
          {"PORT", &client->port},
          {"PROTO", &client->proto},
          {"HELO", &client->helo},
          {"LOGIN", &client->login},
          {"DESTADDR", &client->dest_addr},
          {"DESTPORT", &client->dest_port},
          {"IDENT", &client->ident},
          {"SOURCE", &client->source}}) {
        if (value->empty()) continue;
        out.append(" ").append(name).push_back('=');
        append_python_repr(out, *value);
    }
    out.push_back('\n');
    return true;
}

} // namespace smtp::handlers::detail

#endif
