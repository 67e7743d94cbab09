# bash completion for runmin(1)                            -*- shell-script -*-
# Installed as $(PREFIX)/share/bash-completion/completions/runmin; or source it.

_runmin()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	COMPREPLY=()
	local i
	# After `--` or the first word that is not an option: the command and
	# its own arguments, completed as that command would complete them.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--)
			if declare -F _command_offset >/dev/null; then _command_offset $((i + 1)); else
				COMPREPLY=($(compgen -c -- "$cur" | sort -u))
			fi
			return
			;;
		-a | --artifact | -p | --pubkey | --log | --keep-fd | --uid | --gid) ((i++)) ;;
		-*) ;;
		*)
			if declare -F _command_offset >/dev/null; then _command_offset "$i"; else
				COMPREPLY=($(compgen -c -- "$cur" | sort -u))
			fi
			return
			;;
		esac
	done
	case $prev in
	-a | --artifact)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.pola' -- "$cur"))
		return
		;;
	-p | --pubkey)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.pub' -- "$cur"))
		return
		;;
	--log) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--keep-fd) COMPREPLY=($(compgen -W "$(ls /proc/$$/fd 2>/dev/null)" -- "$cur")); return ;;
	--uid) COMPREPLY=($(compgen -W "$(getent passwd | cut -d: -f3)" -- "$cur")); return ;;
	--gid) COMPREPLY=($(compgen -W "$(getent group | cut -d: -f3)" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-a --artifact -p --pubkey --log --keep-fd --allow-unsigned \
			--supervise --no-netns --uid --gid -h --help -V --version --" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -c -- "$cur" | sort -u))
} && complete -F _runmin runmin
