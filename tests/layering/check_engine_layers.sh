#!/usr/bin/env bash
# engine/'s structure, as engine/README.md states it:
# - includes flow one way: a file includes headers of its own folder and of
#   the folders below it, never above, and nothing from dataplane/ or persist/;
# - only the dispatcher and COMMAND look commands up by name: a handler gets
#   its own command from ctx->cmd, so renaming or disabling one command
#   cannot break another's handler.
# Prints each breach and exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.."
# Bottom layer first, as engine/README.md lists them (engine/meson.build
# lists the same, less types/, which has no sources yet).
layers=(resp base types keyspace shard db request commands loop)
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

bad=0
while IFS= read -r file; do
	folder=${file#engine/}
	folder=${folder%%/*}
	if [ -z "${rank[$folder]+x}" ]; then
		echo "$file: folder '$folder' is not a layer of engine/README.md"
		bad=1
		continue
	fi
	while IFS=: read -r line target; do
		dir=${target%%/*}
		if [ "$dir" = "$target" ]; then
			echo "$file:$line: #include \"$target\" does not name its folder"
			bad=1
		elif [ -z "${rank[$dir]+x}" ]; then
			echo "$file:$line: #include \"$target\" reaches outside engine/"
			bad=1
		elif [ "${rank[$dir]}" -gt "${rank[$folder]}" ]; then
			echo "$file:$line: $folder/ includes \"$target\" from $dir/, a layer above it"
			bad=1
		fi
	done < <(grep -no '^#include "[^"]*"' "$file" | sed 's/#include "\(.*\)"/\1/')
done < <(find engine -name '*.[ch]' | sort)
lookup_allowed='^engine/(loop/client_input\.c|commands/cmd_command\.c|commands/command_table\.[ch]):'
while IFS= read -r hit; do
	echo "$hit: looks a command up by name (use ctx->cmd)"
	bad=1
done < <(grep -rn 'command_lookup(' engine --include='*.[ch]' | grep -Ev "$lookup_allowed")

[ "$bad" -eq 0 ] && echo "engine includes flow one way (${layers[*]}); no handler looks itself up by name"
exit "$bad"
