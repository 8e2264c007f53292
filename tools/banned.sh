#!/usr/bin/env bash
# Rejects calls of C library functions that overflow buffers or hide parse errors, in the
# spirit of curl's checksrc (STYLE.md 3.8). Prints "file:line: banned function 'name'" for
# each call under the given directories and exits 1 if there was any; silent exit 0 if not.
#
#   tools/banned.sh DIR...
#
# Only a name followed by '(' counts, so snprintf, vsnprintf and strtok_r pass, and so does
# a mention in prose without parentheses. A call in a comment or string is still reported.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: tools/banned.sh DIR..." >&2
    exit 2
fi

for dir in "$@"; do
    if [ ! -d "$dir" ]; then
        echo "banned.sh: cannot read directory '$dir'" >&2
        exit 2
    fi
done

# awk rather than grep -o: one report per call, the name without its neighbours, and a
# file name that may contain ':' printed as it is. The character before the name must not
# be part of an identifier, which is what keeps snprintf and my_atoi out.
banned='gets|sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|atof'
pattern="(^|[^A-Za-z0-9_])(${banned})[ ]*[(]"
# shellcheck disable=SC2016 # $0 in the awk program is awk's, not the shell's
report=$(find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' \) -print0 |
    sort -z |
    xargs -0 -r awk -v re="$pattern" '
        {
            gsub(/\t/, " ")
            line = $0
            while (match(line, re)) {
                name = substr(line, RSTART, RLENGTH)
                sub(/^[^A-Za-z]/, "", name)
                sub(/[ ]*[(]$/, "", name)
                printf "%s:%d: banned function '\''%s'\''\n", FILENAME, FNR, name
                line = substr(line, RSTART + RLENGTH)
            }
        }')

if [ -n "$report" ]; then
    printf '%s\n' "$report"
    exit 1
fi
exit 0
