#!/usr/bin/env bash
# A local WordPress for the website channel's tests (tests/test_channel_wordpress.py), on loopback only.
#
#   scripts/wordpress.sh [FILE.json]      set up (idempotent) and start; prints on its last line
#                                         WP_URL=… WP_USER=… WP_APP_PASSWORD=… WP_PID=… (and writes them to FILE.json)
#   scripts/wordpress.sh stop             stop the PHP server this script started (by its pid file)
#   scripts/wordpress.sh permalinks plain|pretty
#                                         switch the site's permalinks ("plain": /wp-json/… answers the home page)
#
# Every start gives a clean site: the database is dropped and installed anew, with one administrator and
# one application password. What it uses:
#   - Debian's packages wordpress, php-cli, php-mysql (installed when missing and we are root). Debian's
#     wordpress depends on "apache2 | httpd" and "libapache2-mod-php | php": php + php-cgi (installed first)
#     and the 50 kB micro-httpd (an inetd/systemd-socket server that runs nothing by itself) satisfy both
#     without apache2; service starts are refused during the install (policy-rc.d) all the same.
#   - MariaDB at 127.0.0.1:3306 (root, empty password, as on the project's machines): database pasopati_wp.
#   - PHP's built-in server on 127.0.0.1 (php -S): no web server is configured or left running.
# Debian's /usr/share/wordpress/wp-config.php loads /etc/wordpress/config-<host>.php where <host> is the
# request's Host without its port: "127.0.0.1" under php -S; the PHP installer below sets HTTP_HOST alike.
# WP_ENVIRONMENT_TYPE=local makes application passwords work over plain http. Outgoing HTTP is blocked
# (WP_HTTP_BLOCK_EXTERNAL) and WP-Cron is off: the site reaches nothing beyond loopback.
#
# Environment: WORDPRESS_PORT (default: a free port), WORDPRESS_DB (pasopati_wp),
# WORDPRESS_STATE (/tmp/pasopati-wordpress: pid, log, credentials), MARIADB_HOST/MARIADB_PORT.
set -euo pipefail

ROOT=/usr/share/wordpress
STATE=${WORDPRESS_STATE:-/tmp/pasopati-wordpress}
DB=${WORDPRESS_DB:-pasopati_wp}
DB_HOST=${MARIADB_HOST:-127.0.0.1}
DB_PORT=${MARIADB_PORT:-3306}
ADMIN=pasopati
started=$SECONDS
mkdir -p "$STATE"

say() { echo "wordpress.sh: $*" >&2; }

stop_server() {
  [[ -f $STATE/php.pid ]] || return 0
  local pid
  pid=$(cat "$STATE/php.pid")
  # Only our own server: the pid file's process must still be `php -S` serving WordPress. It leads its
  # own process group (setsid) with its workers, which outlive it unless the whole group is ended.
  if [[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-S 127.0.0.1:.* -t $ROOT"; then
    kill -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/php.pid"
}

wp_php() {  # run PHP code inside WordPress (CLI), as if served for 127.0.0.1
  local code=$1
  HTTP_HOST=127.0.0.1 php -d display_errors=stderr -r "
    \$_SERVER['HTTP_HOST'] = '127.0.0.1'; \$_SERVER['REQUEST_URI'] = '/'; \$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
    define('WP_INSTALLING', true);
    require '$ROOT/wp-load.php';
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    $code"
}

case ${1:-} in
  stop) stop_server; exit 0 ;;
  permalinks)
    structure=$([[ ${2:-} == plain ]] && echo "" || echo "/%postname%/")
    wp_php "global \$wp_rewrite; \$wp_rewrite->set_permalink_structure('$structure'); flush_rewrite_rules(false);"
    exit 0 ;;
esac
OUT=${1:-}

# --- packages --------------------------------------------------------------------------------------------
if [[ ! -f $ROOT/wp-settings.php ]] || ! command -v php >/dev/null || ! php -m 2>/dev/null | grep -qx mysqli; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "WordPress is not installed and this user cannot apt-get install it (needs root on Debian)"
    exit 3
  fi
  say "installing Debian's wordpress (without apache2)"
  temporary_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then  # refuse service starts during the install (Debian's mechanism)
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && temporary_policy=yes
  fi
  status=0
  # Two steps: with php-cgi already installed, "php" (php8.x: "libapache2-mod-php8.x | php8.x-fpm |
  # php8.x-cgi") is satisfied; asked together, apt picks the first alternative and with it apache2-bin.
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends php-cli php-cgi php-mysql >/dev/null &&
    apt-get install -y -qq --no-install-recommends \
      wordpress wordpress-theme-twentytwentythree php micro-httpd >/dev/null; } || status=$?
  [[ -n $temporary_policy ]] && rm -f /usr/sbin/policy-rc.d
  if ((status)); then say "apt-get failed ($status)"; exit 3; fi
  # micro-httpd listens only through a superserver: make sure none was set up to serve it.
  if [[ -d /run/systemd/system ]]; then systemctl disable --now micro-httpd.socket >/dev/null 2>&1 || true; fi
  if command -v update-inetd >/dev/null; then update-inetd --remove ".*micro-httpd.*" >/dev/null 2>&1 || true; fi
  say "packages installed in $((SECONDS - started)) s"
fi

# --- database --------------------------------------------------------------------------------------------
stop_server
mysql_root=(mysql --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u root)
if ! "${mysql_root[@]}" -e "SELECT 1" >/dev/null 2>&1; then
  say "MariaDB is not reachable at $DB_HOST:$DB_PORT as root without password"
  exit 3
fi
db_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
"${mysql_root[@]}" <<SQL
DROP DATABASE IF EXISTS \`$DB\`;
CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB'@'127.0.0.1' IDENTIFIED BY '$db_password';
ALTER USER '$DB'@'127.0.0.1' IDENTIFIED BY '$db_password';
CREATE USER IF NOT EXISTS '$DB'@'localhost' IDENTIFIED BY '$db_password';
ALTER USER '$DB'@'localhost' IDENTIFIED BY '$db_password';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB'@'localhost';
SQL

# --- configuration ---------------------------------------------------------------------------------------
if [[ -n ${WORDPRESS_PORT:-} ]]; then
  PORT=$WORDPRESS_PORT
else
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
URL="http://127.0.0.1:$PORT"
salt() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
config=/etc/wordpress/config-127.0.0.1.php
if ! { mkdir -p /etc/wordpress && touch "$config"; } 2>/dev/null; then
  say "cannot write $config (Debian's wordpress reads its configuration there): run as root"
  exit 3
fi
umask 077
cat >"$config.tmp" <<PHP
<?php
/* Written by pasopati scripts/wordpress.sh: a throw-away test site on loopback. */
define('DB_NAME', '$DB');
define('DB_USER', '$DB');
define('DB_PASSWORD', '$db_password');
define('DB_HOST', '$DB_HOST:$DB_PORT');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', '$URL');
define('WP_SITEURL', '$URL');
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_DEBUG', false);
define('AUTH_KEY', '$(salt)');
define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');
define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');
define('NONCE_SALT', '$(salt)');
\$table_prefix = 'wp_';
PHP
umask 022
chmod 644 "$config.tmp"  # php -S runs as this user; the site is a throw-away test site
mv "$config.tmp" "$config"

# --- install: the site, one administrator, one application password ----------------------------------------
admin_password=$(salt)
app_password=$(wp_php "
  \$result = wp_install('Ditjenpas (uji)', '$ADMIN', 'pasopati@example.test', false, '', '$admin_password', '');
  global \$wp_rewrite;
  \$wp_rewrite->set_permalink_structure('/%postname%/');
  flush_rewrite_rules(false);
  list(\$password) = WP_Application_Passwords::create_new_application_password(\$result['user_id'], array('name' => 'pasopati-tests'));
  if (is_wp_error(\$password)) { fwrite(STDERR, \$password->get_error_message()); exit(1); }
  echo \$password;
" 2>>"$STATE/install.log" | tail -n 1)
if [[ -z $app_password ]]; then
  say "the WordPress install failed: $(tail -n 5 "$STATE/install.log")"
  exit 3
fi

# --- serve -------------------------------------------------------------------------------------------------
# php -S answers a path with no file with the nearest index.php above it: WordPress's own, so /wp-json/…
# reaches WordPress without a router script. Two workers: the tests never wait on a slow request.
PHP_CLI_SERVER_WORKERS=2 setsid php -S "127.0.0.1:$PORT" -t "$ROOT" >"$STATE/php.log" 2>&1 </dev/null &
echo $! >"$STATE/php.pid"
answers() { php -r 'exit(@file_get_contents($argv[1]) === false ? 1 : 0);' "$URL/wp-json/"; }
for _ in $(seq 100); do answers && break; sleep 0.1; done
if ! answers; then
  say "the PHP server did not answer on $URL: $(tail -n 5 "$STATE/php.log")"
  stop_server
  exit 3
fi
pid=$(cat "$STATE/php.pid")
say "ready in $((SECONDS - started)) s"
if [[ -n $OUT ]]; then
  printf '{"url": "%s", "user": "%s", "password": "%s", "pid": %s, "database": "%s"}\n' \
    "$URL" "$ADMIN" "$app_password" "$pid" "$DB" >"$OUT"
fi
echo "WP_URL=$URL WP_USER=$ADMIN WP_APP_PASSWORD=$app_password WP_PID=$pid"
