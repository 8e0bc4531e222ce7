# Sourced by scripts/deps.d/*.sh: fetch one npm tarball pinned by hash.
#
#   npm_pinned PKG@VERSION SHA256 SHA512 DIR
#
# packs PKG@VERSION into DIR and checks the tarball's SHA-256 and SHA-512
# (npm's dist.integrity in hex, `npm view PKG@VERSION dist.integrity`).
# Returns 0 with the tarball's path in $npm_tgz; 2 (a warning printed) when
# npm could not fetch it; exits 1 when it does not match the pins.
npm_pinned() {
	echo "fetching $1 from npm"
	if ! (cd "$4" && npm pack --silent "$1" >/dev/null 2>npm.log); then
		echo "warning: npm pack $1 failed: $(tail -n 1 "$4/npm.log")" >&2
		return 2
	fi
	npm_tgz=$(ls "$4"/*.tgz)
	got256=$(sha256sum "$npm_tgz" | cut -d' ' -f1)
	got512=$(sha512sum "$npm_tgz" | cut -d' ' -f1)
	if [ "$got256" != "$2" ] || [ "$got512" != "$3" ]; then
		echo "error: $1 from npm does not match the hash pinned in $0:" >&2
		echo "  expected sha256 $2" >&2
		echo "       got sha256 $got256" >&2
		echo "refusing to install it (a changed or corrupted package)" >&2
		exit 1
	fi
}

#   npm_or_warn WHAT
# 0 when npm is there; else 1, having warned that WHAT was not fetched.
npm_or_warn() {
	command -v npm >/dev/null && return 0
	echo "warning: npm not found: $1" >&2
	return 1
}
