// NamedToken: token.get by credential name, as `cred exec` and `cred kube` ask it.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

#include "error.hh"
#include "time_text.hh"

namespace credd {

class DaemonClient;

// The daemon's answer, checked to hold a string token. The caller wipes what it copies
// the token into; the answer itself is as the daemon client received it.
class NamedToken {
public:
    // token.get {"name": name}, waiting as long as a method that needs the data key may.
    static Result<NamedToken> fetch(DaemonClient& daemon, std::string_view name);

    std::string_view token() const;
    std::optional<UnixMs> expires_at() const;

private:
    explicit NamedToken(boost::json::value answer) : m_answer(std::move(answer)) {}
    boost::json::value m_answer;
};

} // namespace credd
