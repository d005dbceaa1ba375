# Shared helpers for the ops/ scripts: package set-up, a throwaway PostgreSQL cluster, the Python venv, the build.
# Source it; every function is idempotent and safe to call on a fresh Debian 12 machine as root.

OPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages that are missing (PostgreSQL, libcrypto headers, openssl, python venv).
ensure_packages() {
    local wanted=(postgresql libssl-dev openssl python3-venv curl chromium chromium-driver libp11-kit-dev softhsm2 opensc)
    local missing=()
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# A port nobody listens on.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts a throwaway cluster on a free port; sets PG_DATA, PG_BIN and exports DATABASE_URL. Stop with stop_postgres.
start_postgres() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PG_DATA=$(mktemp -d /tmp/dfns-pg.XXXXXX)
    local port; port=$(free_port)
    local run_as=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DATA"
        run_as=(su postgres -c)
    else
        run_as=(bash -c)
    fi
    "${run_as[@]}" "$PG_BIN/initdb -D $PG_DATA -U postgres --auth=trust -E UTF8" >/dev/null
    # In postgresql.conf rather than on the command line, so a restart (ops/chaos) keeps them.
    printf "port = %s\nunix_socket_directories = '/tmp'\nlisten_addresses = '127.0.0.1'\nmax_connections = 500\n" "$port" >> "$PG_DATA/postgresql.conf"
    make_tls "$PG_DATA/tls"
    printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$PG_DATA/tls/server.crt" "$PG_DATA/tls/server.key" >> "$PG_DATA/postgresql.conf"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$PG_DATA/tls"
    "${run_as[@]}" "$PG_BIN/pg_ctl -D $PG_DATA -l $PG_DATA/server.log -w start" >/dev/null
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    # TLS is on too, for the tests of sslmode and sslrootcert (TLSTests): the CA that signed the server's certificate
    # (issued to localhost only), and one that did not.
    export DATABASE_TLS_CA="$PG_DATA/tls/ca.crt" DATABASE_TLS_OTHER_CA="$PG_DATA/tls/other-ca.crt"
    log "PostgreSQL on 127.0.0.1:$port (data in $PG_DATA; TLS with a test CA)"
}

# A throwaway CA, a server certificate it signs for DNS:localhost (not 127.0.0.1, so verify-full and verify-ca differ),
# and an unrelated CA, in directory $1.
make_tls() {
    local dir=$1
    mkdir -p "$dir"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -days 3 -subj "/CN=dfns-worker test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -x509 "${ec[@]}" -days 3 -subj "/CN=unrelated CA" -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" 2>/dev/null
    openssl req "${ec[@]}" -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf "subjectAltName=DNS:localhost\n" > "$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 3 \
        -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
    chmod 600 "$dir/server.key" "$dir/ca.key" "$dir/other-ca.key"
    chmod 644 "$dir/ca.crt" "$dir/other-ca.crt"
}

stop_postgres() {
    [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ] || return 0
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -c "$PG_BIN/pg_ctl -D $PG_DATA -m fast stop" >/dev/null 2>&1 || true
    else
        "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DATA"
}

# The Python venv with the official Dfns SDK (conformance, peer), pgqueuer and procrastinate (peers; asyncpg also
# drives ops/chaos). Sets VENV.
ensure_venv() {
    VENV="$OPS_ROOT/.venv"
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import dfns_sdk, pgqueuer, procrastinate, asyncpg, selenium, axe_selenium_python' 2>/dev/null; then
        log "creating Python venv with dfns-sdk, pgqueuer, procrastinate, selenium and axe-selenium-python"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check dfns-sdk 'pgqueuer[asyncpg]' procrastinate selenium axe-selenium-python
    fi
}

# Builds the package (debug unless BUILD_CONFIGURATION=release); sets BIN to the executable.
build() {
    local configuration="${BUILD_CONFIGURATION:-debug}"
    log "swift build -c $configuration"
    (cd "$OPS_ROOT" && swift build -c "$configuration" --product dfns-worker)
    BIN="$(cd "$OPS_ROOT" && swift build -c "$configuration" --show-bin-path)/dfns-worker"
}
