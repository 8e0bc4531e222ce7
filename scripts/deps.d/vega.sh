#!/bin/sh
# Vega, Vega-Lite and vega-embed for the HTML report's charts
# (src/report/report_html.c; docs/dependencies.md says why these). Their
# minified UMD builds are compiled into greenbench (src/report/vega_bundle.c)
# and inlined into every HTML report, so a report opens offline and fetches
# nothing. Only the three build/*.min.js files and the licences are kept
# under third_party/vega.
#
# Each tarball is pinned by hash: SHA-256 and SHA-512 (npm's dist.integrity,
# `npm view $pkg dist.integrity`, in hex) are committed below; a tarball
# that does not match stops the install.
set -eu
cd "$(dirname "$0")/../.."

dest=third_party/vega
# package@version sha256 sha512 file-in-build
pkgs='vega@6.2.0 aa98ba8c2141f60123e98cdac229303450b1401e5c20f4434a18431e9a9a344d 048c1a9487041b2b097500e37955263160777b9d233c334031f2c9b1c8c4be9ba753d6d2b7b5f53989d0c64837b81c2e4512389d67c564ef6e216f75d272de1b vega.min.js
vega-lite@6.4.1 7226845c140626b2bf2dae3dd7372d6e2dbdf65380d857c70da8e487ca6cf15e 28edf26c7368b912b80346a5ffed9f37d52a81311fc6b77f9ed18b63ddf71e0e54398a2d0d541db21477ce7ece7d7c10eee8f45bde957dae51f90c4ef1a9b721 vega-lite.min.js
vega-embed@7.1.0 a4db01011ad87ed847b83c3b47538f08145ec269bb3c2bff8e35ff692e0f0d58 6661089f95c9ad0b7b7d2876970b527571bff6e7f7c88a999ef5c5130049469a62060ac45997196e3e952b7c67f2c353150fac4035d6e6c97fea499b016dece4 vega-embed.min.js'

if [ -f "$dest/vega.min.js" ] && [ -f "$dest/vega-lite.min.js" ] && [ -f "$dest/vega-embed.min.js" ] &&
	[ -f "$dest/VERSIONS" ]; then
	exit 0
fi
. scripts/npm-pinned.sh
npm_or_warn "Vega not fetched (HTML reports will have tables but no charts)" || exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$pkgs" | while read -r pkg sha256 sha512 file; do
	name=${pkg%@*}
	mkdir -p "$tmp/$name"
	npm_pinned "$pkg" "$sha256" "$sha512" "$tmp/$name" || exit 0
	tar xzf "$npm_tgz" -C "$tmp/$name" "package/build/$file" package/LICENSE
	mkdir -p "$dest"
	cp "$tmp/$name/package/build/$file" "$dest/$file"
	cp "$tmp/$name/package/LICENSE" "$dest/LICENSE.$name"
done
# What `greenbench --version` names (mk/vega.mk compiles it in).
echo "$pkgs" | awk '{ sub("@", " ", $1); printf "%s%s", (NR > 1 ? ", " : ""), $1 } END { print "" }' > "$dest/VERSIONS"
echo "Vega, Vega-Lite and vega-embed in $dest ($(cat "$dest/VERSIONS"))"
