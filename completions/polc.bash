# bash completion for polc(1)                              -*- shell-script -*-
# Installed as $(PREFIX)/share/bash-completion/completions/polc; or source it.

# Files with one of the given extensions, and directories to walk into.
_polc_files()
{
	local IFS=$'\n' ext
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -d -- "$cur"))
	for ext in "$@"; do
		COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
	done
}

_polc_policy() { _polc_files yaml yml json rego; }

# The Landlock rights polc knows (ll_rights.def) and the shorthands.
_polc_access='read write exec execute write_file read_file read_dir remove_dir remove_file
make_char make_dir make_reg make_sock make_fifo make_block make_sym refer truncate ioctl_dev'

_polc()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	COMPREPLY=()
	local commands="build inspect query test lint diff export convert opa-cases keygen sign verify"

	# The command: the first word after polc's own options.
	local i cmd="" ci=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-v | --verbose) ;;
		-*) ;;
		*) cmd=${words[i]} ci=$i; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands -v --verbose --version --help" -- "$cur"))
		return
	fi

	# Option arguments.
	case $prev in
	-o | --output) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-s | --sign | --secret) _polc_files key sec; return ;;
	-p | --public) _polc_files pub; return ;;
	-x | --sig) _polc_files minisig; return ;;
	--config) _polc_files yaml yml; return ;;
	--min-abi) COMPREPLY=($(compgen -W "1 2 3 4 5 6 7" -- "$cur")); return ;;
	--arch) COMPREPLY=($(compgen -W "x86_64 aarch64 x32 i386" -- "$cur")); return ;;
	--fail-level) COMPREPLY=($(compgen -W "error warning note" -- "$cur")); return ;;
	--fail-on) COMPREPLY=($(compgen -W "any widen" -- "$cur")); return ;;
	-f | --format)
		case $cmd in
		inspect) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
		test) COMPREPLY=($(compgen -W "text json junit tap" -- "$cur")) ;;
		lint) COMPREPLY=($(compgen -W "text json sarif github markdown" -- "$cur")) ;;
		diff) COMPREPLY=($(compgen -W "text markdown json" -- "$cur")) ;;
		export) COMPREPLY=($(compgen -W "bpf oci" -- "$cur")) ;;
		esac
		return
		;;
	esac

	local opts=""
	case $cmd in
	build) opts="-o --output -s --sign --min-abi --dump-ir --openshell-lenient -h --help" ;;
	inspect) opts="--format -h --help" ;;
	query) opts="--arch -h --help" ;;
	test) opts="-f --format -h --help" ;;
	lint) opts="-f --format --fail-level --config --no-config --include-stdlib --rules -h --help" ;;
	diff) opts="-f --format --fail-on -h --help" ;;
	export) opts="--format --bpf --oci --arch -o -h --help" ;;
	convert) opts="-o --output --openshell-lenient -h --help" ;;
	opa-cases) opts="-q --quiet -h --help" ;;
	keygen) opts="-p --public -s --secret -W --password -f --force -h --help" ;;
	sign) opts="-s --secret -x --sig -h --help" ;;
	verify) opts="-p --public -x --sig -q --quiet -h --help" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi

	# Positional arguments: count those after the command.
	local n=0 w
	for ((i = ci + 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		-o | --output | -s | --sign | --secret | -p | --public | -x | --sig | --config | \
			--min-abi | --arch | --fail-level | --fail-on | -f | --format) ((i++)) ;;
		-*) ;;
		*) ((n++)) ;;
		esac
	done
	case $cmd in
	build | lint | convert) _polc_policy ;;
	inspect | sign | verify | export) _polc_files pola ;;
	diff) _polc_files pola yaml yml json rego ;;
	test)
		if ((n == 0)); then _polc_files pola yaml yml json rego; else _polc_files yaml yml; fi
		;;
	opa-cases) _polc_files yaml yml ;;
	query)
		if ((n == 0)); then
			_polc_files pola rego
		elif ((n == 1)); then
			COMPREPLY=($(compgen -W "syscall fs net" -- "$cur"))
		else
			local kind=${words[ci + 2]}
			for ((i = ci + 1; i < cword; i++)); do
				case ${words[i]} in syscall | fs | net) kind=${words[i]} ;; esac
			done
			case $kind:$n in
			fs:2) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
			fs:3) COMPREPLY=($(compgen -W "$_polc_access" -- "${cur##*,}"))
				[[ $cur == *,* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}") ;;
			net:4) COMPREPLY=($(compgen -W "GET HEAD POST PUT DELETE PATCH OPTIONS CONNECT TRACE" -- "$cur")) ;;
			esac
		fi
		;;
	esac
} && complete -F _polc polc
