# bash completion for cred(1). Commands and options come from cred's own help, so they
# stay true as commands are added; credential names come from the running daemon, and
# without one there are quietly none (CREDD_NO_AUTOSTART: completing never starts it).

# _cred_help CRED [COMMAND]: cred's help text (the overview without COMMAND).
_cred_help() {
    if [[ -n $2 ]]; then
        "$1" help "$2" 2>/dev/null
    else
        "$1" --help 2>/dev/null
    fi
}

# The command names: the first word of each entry under "commands:".
_cred_commands() {
    _cred_help "$1" | awk '/^commands:/ { on = 1; next } /^[^ ]/ { on = 0 }
        on && /^  [a-z]/ { print $1 }'
}

# _cred_names CRED SOCKET: credential names, first column of `cred list` after its header.
_cred_names() {
    CREDD_NO_AUTOSTART=1 "$1" ${2:+--socket "$2"} list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_cred() {
    local cred=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local command='' socket='' i
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --socket) socket=${COMP_WORDS[i + 1]}; ((i++)) ;;
        --socket=*) socket=${COMP_WORDS[i]#--socket=} ;;
        -*) ;;
        *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ $prev == --socket ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
    fi
    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W '--socket --help --version' -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_cred_commands "$cred")" -- "$cur")
        fi
        return
    fi
    if [[ $command == help ]]; then
        ((COMP_CWORD == i + 1)) &&
            mapfile -t COMPREPLY < <(compgen -W "$(_cred_commands "$cred")" -- "$cur")
        return
    fi
    # The values of two options of add: the kinds and the provider presets.
    case $prev in
    --kind)
        mapfile -t COMPREPLY < <(compgen -W 'static oauth2-refresh-token
            oauth2-client-credentials exec device auth-code' -- "$cur")
        return
        ;;
    --preset)
        mapfile -t COMPREPLY < <(compgen -W 'github gitlab google microsoft bitbucket gitea' \
            -- "$cur")
        return
        ;;
    esac
    local help
    help=$(_cred_help "$cred" "$command") || return
    # Options followed by a value in the help text ("--url URL"), whose value is not ours.
    local valued
    valued=" $(grep -oE -- '--[a-z][a-z-]* [A-Z]' <<<"$help" | cut -d' ' -f1 | tr '\n' ' ') "
    [[ $valued == *" $prev "* ]] && return
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$({ grep -oE -- '--[a-z][a-z-]*' <<<"$help"
            echo --help; } | sort -u)" -- "$cur")
        return
    fi
    # A credential name, as the first argument of a command whose usage takes one (add
    # names a new credential, so it is left alone).
    [[ $command == add ]] && return
    head -n 1 <<<"$help" | grep -qw NAME || return
    local j
    for ((j = i + 1; j < COMP_CWORD; j++)); do
        case ${COMP_WORDS[j]} in
        -*) [[ $valued == *" ${COMP_WORDS[j]} "* ]] && ((j++)) ;;
        *) return ;;
        esac
    done
    mapfile -t COMPREPLY < <(compgen -W "$(_cred_names "$cred" "$socket")" -- "$cur")
}

complete -F _cred cred
