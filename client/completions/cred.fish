# fish completion for cred(1). Commands and options come from cred's own help, so they
# stay true as commands are added; credential names come from the running daemon, and
# without one there are quietly none (CREDD_NO_AUTOSTART: completing never starts it).

function __cred_commands --argument-names cred
    $cred --help 2>/dev/null | awk '/^commands:/ { on = 1; next } /^[^ ]/ { on = 0 }
        on && /^  [a-z]/ { print $1 }'
end

# Everything that may follow the words typed so far (fish filters by the current token).
function __cred_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l cred $words[1]
    set -l command
    set -l socket
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --socket
                set i (math $i + 1)
                set socket $words[$i]
            case '--socket=*'
                set socket (string replace -- --socket= '' $words[$i])
            case '-*'
            case '*'
                set command $words[$i]
                break
        end
        set i (math $i + 1)
    end
    if test "$words[-1]" = --socket
        __fish_complete_path $cur
        return
    end
    if test -z "$command"
        if string match -q -- '-*' $cur
            printf '%s\n' --socket --help --version
        else
            __cred_commands $cred
        end
        return
    end
    if test "$command" = help
        test $i -eq (count $words); and __cred_commands $cred
        return
    end
    # The values of two options of add: the kinds and the provider presets.
    switch $words[-1]
        case --kind
            printf '%s\n' static oauth2-refresh-token oauth2-client-credentials exec device auth-code
            return
        case --preset
            printf '%s\n' github gitlab google microsoft bitbucket gitea
            return
    end
    set -l help ($cred help $command 2>/dev/null); or return
    # Options followed by a value in the help text ("--url URL"), whose value is not ours.
    set -l valued (printf '%s\n' $help | grep -oE -- '--[a-z][a-z-]* [A-Z]' | cut -d' ' -f1)
    contains -- $words[-1] $valued; and return
    if string match -q -- '-*' $cur
        begin
            printf '%s\n' $help | grep -oE -- '--[a-z][a-z-]*'
            echo --help
        end | sort -u
        return
    end
    # A credential name, as the first argument of a command whose usage takes one (add
    # names a new credential, so it is left alone).
    test "$command" = add; and return
    string match -qr '\bNAME\b' -- $help[1]; or return
    set -l j (math $i + 1)
    while test $j -le (count $words)
        if string match -q -- '-*' $words[$j]
            contains -- $words[$j] $valued; and set j (math $j + 1)
        else
            return
        end
        set j (math $j + 1)
    end
    set -l socket_args
    test -n "$socket"; and set socket_args --socket $socket
    CREDD_NO_AUTOSTART=1 $cred $socket_args list 2>/dev/null | awk 'NR > 1 { print $1 }'
end

complete -c cred -f -a '(__cred_complete)'
