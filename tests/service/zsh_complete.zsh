# zsh_complete.zsh FPATH_DIR WORDS…: prints, one a line, the candidates zsh's completion
# system offers for WORDS followed by a TAB, with FPATH_DIR's functions loaded. It drives
# a real interactive zsh on a pty; every compadd call prints what it added.
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT=''; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'bindkey "^I" complete-word'
# A NUL line before and after the completion function runs, then the shell exits.
zpty -w z 'null-line() { print -n $'"'"'\0\n'"'"' }; compprefuncs=(null-line); comppostfuncs=(null-line exit)'
zpty -w z 'compadd() { local -a hits; builtin compadd -A hits "$@"; (( $#hits )) && print -rl -- $hits; builtin compadd "$@" }'
zpty -w z "${(j: :)@[2,-1]}"$'\t'
integer seen=0
local line
while zpty -r z line; do
  if [[ $line == *$'\0'* ]]; then
    (( seen++ )) && exit 0
    continue
  fi
  line=${line//[$'\r\n']/}
  (( seen )) && [[ -n $line ]] && print -r -- $line
done
exit 2
