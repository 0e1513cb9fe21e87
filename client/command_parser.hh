// CommandParser: walks one command's arguments against its table of options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "argument_values.hh"
#include "cli.hh"

namespace credd::cli {

using Args = std::span<const std::string_view>;

inline bool is_option(std::string_view arg) {
    return arg.size() > 1 && arg.front() == '-';
}

template <class C>
struct OptionSpec {
    std::string_view name;
    bool takes_value;
    bool repeatable;
    Result<void> (*apply)(C& command, std::string_view value, const ParseEnv& env);
};

template <class C>
struct CommandSpec {
    CommandKind kind;
    std::span<const OptionSpec<C>> options;
    // Called for each positional argument in turn, with its index; refuses extras.
    Result<void> (*positional)(C& command, std::string_view value, std::size_t index);
    // Checks that involve several options (required ones, exclusive pairs), run last.
    Result<void> (*finish)(C& command);
    // Takes everything after a `--` (a command line to run); nullptr: `--` is refused.
    Result<void> (*rest)(C& command, Args args) = nullptr;
};

template <class T, class U>
Result<void> assign(T& field, Result<U> value) {
    if (!value) {
        return value.error();
    }
    field = std::move(*value);
    return {};
}

// Walks one command's arguments against its spec. Options take "--opt value" or
// "--opt=value"; a value-less option refuses "=value".
template <class C>
class CommandParser {
public:
    CommandParser(const CommandSpec<C>& spec, Args args, const ParseEnv& env)
        : m_spec(spec), m_args(args), m_env(env) {}

    Result<Command> run() {
        std::size_t positionals = 0;
        for (m_pos = 0; m_pos < m_args.size(); ++m_pos) {
            if (m_args[m_pos] == "--" && m_spec.rest != nullptr) {
                if (auto taken = m_spec.rest(m_command, m_args.subspan(m_pos + 1)); !taken) {
                    return taken.error();
                }
                break;
            }
            auto step = is_option(m_args[m_pos])
                            ? take_option()
                            : m_spec.positional(m_command, m_args[m_pos], positionals++);
            if (!step) {
                return step.error();
            }
        }
        if (auto done = m_spec.finish(m_command); !done) {
            return done.error();
        }
        return Command{std::move(m_command)};
    }

private:
    Result<void> take_option() {
        const std::string_view arg = m_args[m_pos];
        const auto eq = arg.find('=');
        const std::string_view name = arg.substr(0, eq);
        const auto* spec = find(name);
        if (!spec) {
            return fail("unknown option " + std::string(name.substr(0, 100)));
        }
        const auto bit = std::uint32_t{1} << (spec - m_spec.options.data());
        if ((m_seen & bit) && !spec->repeatable) {
            return fail(std::string(name) + " given twice");
        }
        m_seen |= bit;
        if (!spec->takes_value) {
            return eq == std::string_view::npos ? spec->apply(m_command, {}, m_env)
                                                : fail(std::string(name) + " takes no value");
        }
        if (eq != std::string_view::npos) {
            return spec->apply(m_command, arg.substr(eq + 1), m_env);
        }
        if (m_pos + 1 >= m_args.size()) {
            return fail(std::string(name) + " needs a value");
        }
        return spec->apply(m_command, m_args[++m_pos], m_env);
    }

    const OptionSpec<C>* find(std::string_view name) const {
        for (const auto& option : m_spec.options) {
            if (option.name == name) {
                return &option;
            }
        }
        return nullptr;
    }

    Error fail(std::string message) const {
        return command_usage_error(m_spec.kind, std::move(message));
    }

    const CommandSpec<C>& m_spec;
    Args m_args;
    const ParseEnv& m_env;
    C m_command{};
    std::size_t m_pos = 0;
    std::uint32_t m_seen = 0; // bit i: option i was given
};

} // namespace credd::cli
