# Shared set-up steps for scripts/start and scripts/test (sourced, not run).

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_redis() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis on 127.0.0.1:6379"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "Redis did not start" >&2; return 1
  fi
}

ensure_postgresql() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL on 127.0.0.1:5432"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
    pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; return 1; }
  fi
  # The tests create their own database as the postgres superuser over TCP; trust auth is expected locally.
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1" >/dev/null || {
    echo "cannot connect to PostgreSQL as postgres on 127.0.0.1 (trust auth expected)" >&2; return 1; }
}

ensure_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  local log=".venv/pip-install.log"
  echo "installing Python packages into .venv (log: $log)"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -e "$extras"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2; echo "pip install failed (see $log)" >&2; return 1
  fi
}

ensure_mailman3() {
  # A real Mailman 3 core for the migration tests, in a virtual environment of its own (pinned: with
  # SQLAlchemy 2.1, Mailman 3.3.10 answers 500 on paged REST collections).
  if [ ! -x .venv-mailman3/bin/mailman ]; then
    echo "installing Mailman 3 into .venv-mailman3 (migration tests)"
    python3 -m venv .venv-mailman3
    if ! .venv-mailman3/bin/python -m pip install --disable-pip-version-check -q "mailman==3.3.10" "sqlalchemy<2.1" \
        >.venv-mailman3/pip-install.log 2>&1; then
      tail -n 30 .venv-mailman3/pip-install.log >&2; echo "Mailman 3 install failed" >&2; return 1
    fi
  fi
}
