#!/usr/bin/env bash
# A local WordPress (Debian's package, served by `php -S`) for igny8's live tests and demos.
#
#   scripts/wordpress_setup.sh start  [--port 8089] [[--dir] .data/wordpress]
#   scripts/wordpress_setup.sh stop   [[--dir] .data/wordpress]
#   scripts/wordpress_setup.sh status [[--dir] .data/wordpress]
#
# `start` is idempotent: it installs what is missing (apt as root), creates the MariaDB database,
# writes /etc/wordpress/config-127.0.0.1.php, starts the server, installs the site, turns on
# pretty permalinks and writes DIR/credentials.env (WP_URL, WP_USERNAME, WP_APP_PASSWORD) with a
# working application password. Exit codes: 0 ok, 2 cannot install (no apt / no database).
set -euo pipefail

ACTION="${1:-start}"
[[ $# -gt 0 ]] && shift
PORT="${WP_PORT:-8089}"
DIR="${WP_DIR:-.data/wordpress}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) PORT="$2"; shift 2 ;;
        --dir) DIR="$2"; shift 2 ;;
        -*) echo "unknown option: $1" >&2; exit 64 ;;
        *) DIR="$1"; shift ;;  # the state folder may also be given as a plain argument
    esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
WP_ROOT=/usr/share/wordpress
WP_CONTENT=/var/lib/wordpress/wp-content
PIDFILE="$DIR/php-server.pid"
LOG="$DIR/php-server.log"
URL="http://127.0.0.1:$PORT"
DB_NAME="${WP_DB_NAME:-igny8_wp}"
DB_USER="${WP_DB_USER:-igny8_wp}"
ADMIN_USER="admin"

say() { echo "wordpress_setup: $*" >&2; }
die() { say "$2"; exit "$1"; }

server_running() {
    [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

stop_server() {
    if server_running; then
        # The server was started with setsid: its pid is its process group (master + workers).
        kill -- "-$(cat "$PIDFILE")" 2>/dev/null || kill "$(cat "$PIDFILE")" 2>/dev/null || true
        for _ in $(seq 50); do server_running || break; sleep 0.1; done
        say "stopped the server (pid $(cat "$PIDFILE"))"
    fi
    rm -f "$PIDFILE"
}

case "$ACTION" in
    stop) stop_server; exit 0 ;;
    status)
        if server_running; then echo "running: $URL (pid $(cat "$PIDFILE"))"; exit 0; fi
        echo "not running"; exit 1 ;;
    start) ;;
    *) die 64 "unknown action: $ACTION (start | stop | status)" ;;
esac

# Before changing anything: the port must be free, or already serve a WordPress (another
# checkout's server, e.g. the developer's seen from CI's fresh clone, using the same config).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
if ! server_running && port_open; then
    index="$(curl -fsS --max-time 10 "$URL/wp-json/" 2>/dev/null || true)"
    [[ "$index" == *'"namespaces"'* ]] \
        || die 2 "port $PORT is taken by another program; choose one with --port"
fi

# --- packages -------------------------------------------------------------------------------
apt_install() {
    command -v apt-get >/dev/null || die 2 "cannot install $*: apt-get is not available"
    [[ "$(id -u)" == 0 ]] || die 2 "cannot install $*: apt-get needs root"
    say "installing $* (apt)"
    # Keep package scripts from starting daemons (apache2 comes in as the `httpd` dependency):
    # we serve WordPress with `php -S` and want nothing listening on port 80.
    local policy=/usr/sbin/policy-rc.d created=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
    fi
    local rc=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$@"; } >"$DIR/apt.log" 2>&1 || rc=$?
    [[ $created == 1 ]] && rm -f "$policy"
    [[ $rc == 0 ]] || die 2 "apt-get install $* failed (exit $rc), see $DIR/apt.log"
}

if [[ ! -f "$WP_ROOT/wp-settings.php" ]] || ! command -v php >/dev/null \
    || [[ "$(php -m 2>/dev/null)" != *mysqli* ]]; then
    apt_install wordpress php-cli php-mysql
fi
command -v mariadb >/dev/null || apt_install mariadb-client

# --- MariaDB ----------------------------------------------------------------------------------
sql() {
    # Debian's root uses the unix socket; the service machines also accept root over TCP.
    # SQL on stdin, not argv: it carries the database password.
    mariadb -uroot <<<"$1" 2>/dev/null || mariadb -uroot -h127.0.0.1 <<<"$1"
}
if ! sql "SELECT 1" >/dev/null 2>&1; then
    if [[ ! -x /usr/sbin/mariadbd ]]; then
        apt_install mariadb-server
    fi
    say "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql \
        || true
    for _ in $(seq 60); do sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
    sql "SELECT 1" >/dev/null 2>&1 || die 2 "MariaDB is not reachable (socket or 127.0.0.1:3306)"
fi

SECRETS="$DIR/secrets.env"
if [[ ! -f "$SECRETS" ]]; then
    umask 077
    {
        echo "DB_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
        echo "ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    } >"$SECRETS"
fi
# shellcheck disable=SC1090
source "$SECRETS"

sql "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
     CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
     CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
     ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
     ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
     GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
     GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
     FLUSH PRIVILEGES;"

# --- configuration ------------------------------------------------------------------------------
salt() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48; }
SALTS="$DIR/salts.php"
if [[ ! -f "$SALTS" ]]; then
    umask 077
    {
        echo "<?php"
        for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT \
            LOGGED_IN_SALT NONCE_SALT; do
            echo "define('$k', '$(salt)');"
        done
    } >"$SALTS"
fi
mkdir -p /etc/wordpress
CONFIG=/etc/wordpress/config-127.0.0.1.php
cat >"$CONFIG.tmp" <<PHP
<?php
// Written by igny8 scripts/wordpress_setup.sh: a local test site served by \`php -S\`.
define('DB_NAME', '$DB_NAME');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', '127.0.0.1');
define('WP_HOME', '$URL');
define('WP_SITEURL', '$URL');
// 'local' lets application passwords work over plain HTTP.
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_CONTENT_DIR', '$WP_CONTENT');
define('FS_METHOD', 'direct');
// Scheduled publishing is igny8's Temporal timer; WP-Cron's loopback requests only slow us down.
define('DISABLE_WP_CRON', true);
require '$SALTS';
PHP
mv "$CONFIG.tmp" "$CONFIG"
chmod 640 "$CONFIG"
ln -sf "$CONFIG" /etc/wordpress/config-localhost.php
mkdir -p "$WP_CONTENT/uploads"
chmod 777 "$WP_CONTENT/uploads" 2>/dev/null || true

# --- server ---------------------------------------------------------------------------------------
if server_running; then
    :
elif port_open; then
    say "a WordPress already answers on $URL (started elsewhere); using it"
else
    say "starting php -S on $URL (log: $LOG)"
    cd "$WP_ROOT"
    # setsid: its own process group, so `stop` ends the master and its workers and nothing else.
    PHP_CLI_SERVER_WORKERS=4 setsid php -d upload_max_filesize=64M -d post_max_size=64M \
        -d memory_limit=256M -S "127.0.0.1:$PORT" -t "$WP_ROOT" "$HERE/wp_router.php" \
        >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    cd - >/dev/null
fi
for _ in $(seq 100); do port_open && break; sleep 0.1; done
port_open || die 2 "the PHP server did not start, see $LOG"

# --- site -------------------------------------------------------------------------------------------
curl -fsS -o /dev/null --max-time 120 "$URL/wp-admin/install.php?step=2" \
    --data-urlencode "weblog_title=igny8 test site" \
    --data-urlencode "user_name=$ADMIN_USER" \
    --data-urlencode "admin_password=$ADMIN_PASSWORD" \
    --data-urlencode "admin_password2=$ADMIN_PASSWORD" \
    --data-urlencode "pw_weak=1" \
    --data-urlencode "admin_email=admin@example.com" \
    --data-urlencode "blog_public=0" \
    --data-urlencode "language=" || die 2 "installing the site failed, see $LOG"

CREDS="$DIR/credentials.env"
creds_work() {
    [[ -f "$CREDS" ]] || return 1
    # shellcheck disable=SC1090
    (source "$CREDS" && [[ "$WP_URL" == "$URL" ]] && curl -fsS -o /dev/null --max-time 30 \
        -u "$WP_USERNAME:$WP_APP_PASSWORD" "$WP_URL/wp-json/wp/v2/users/me")
}

# Permalinks (for /wp-json/ URLs) and, when the stored one no longer works, a new application
# password; both through WordPress's own PHP API.
if ! creds_work; then
    APP_PASSWORD="$(cd "$WP_ROOT" && php -d display_errors=stderr -r '
        $_SERVER["HTTP_HOST"] = "127.0.0.1";
        $_SERVER["REQUEST_URI"] = "/";
        define("WP_INSTALLING", false);
        require "wp-load.php";
        if (get_option("permalink_structure") !== "/%postname%/") {
            update_option("permalink_structure", "/%postname%/");
            flush_rewrite_rules(false);
        }
        $user = get_user_by("login", $argv[1]);
        if (!$user) { fwrite(STDERR, "no user $argv[1]\n"); exit(1); }
        foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
            if ($item["name"] === $argv[2]) {
                WP_Application_Passwords::delete_application_password($user->ID, $item["uuid"]);
            }
        }
        $made = WP_Application_Passwords::create_new_application_password(
            $user->ID, array("name" => $argv[2]));
        if (is_wp_error($made)) { fwrite(STDERR, $made->get_error_message() . "\n"); exit(1); }
        echo $made[0];
    ' "$ADMIN_USER" "igny8 ($DIR)")" || die 2 "creating the application password failed"
    umask 077
    cat >"$CREDS" <<ENV
WP_URL=$URL
WP_USERNAME=$ADMIN_USER
WP_APP_PASSWORD=$APP_PASSWORD
WP_PORT=$PORT
ENV
    creds_work || die 2 "the new application password is refused by $URL/wp-json/ (see $LOG)"
fi
say "ready: $URL (credentials in $CREDS)"
