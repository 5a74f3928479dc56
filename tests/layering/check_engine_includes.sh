#!/usr/bin/env bash
# engine/'s includes flow one way (engine/README.md): a file includes
# headers of its own folder and of the folders below it, never above, and
# nothing from dataplane/ or persist/. Prints each include that breaks the
# order and exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.."
# Bottom layer first; the same list as engine/README.md and engine/meson.build.
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
[ "$bad" -eq 0 ] && echo "engine includes flow one way (${layers[*]})"
exit "$bad"
