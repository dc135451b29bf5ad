# scripts/deps.sh: sourced by scripts/demo and scripts/test.
# Installs the Debian 12 packages the build and the tests need, when missing.

MIGRATE_PACKAGES="build-essential pkg-config git perl python3
	postgresql-15 postgresql-server-dev-15 libpq-dev
	libcmocka-dev libssl-dev
	libmariadb-dev mariadb-server mariadb-client
	libsqlite3-dev sqlite3
	libipc-run-perl clang libclang-rt-14-dev valgrind pg-bsd-indent"

migrate_install_deps() {
	local missing=()
	for p in $MIGRATE_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages: ${missing[*]}; run this command as root to install them" >&2
		return 1
	fi
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Keep the packages from starting their own servers: tests start theirs.
	local made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt-get update -qq
	local rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	return $rc
}

# Build and install the extension and the client; the client is linked into
# /usr/local/bin so that "migrate" is on PATH.
migrate_build_install() {
	local jobs
	jobs=$(nproc 2>/dev/null || echo 2)
	make -s -j"$jobs" >/dev/null
	make -s install >/dev/null
	ln -sf "$(${PG_CONFIG:-pg_config} --bindir)/migrate" /usr/local/bin/migrate
}
