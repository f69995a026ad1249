#!/usr/bin/env bash
# Installs frontdesk as a systemd service on Debian or Raspberry Pi OS.
#   sudo deploy/install.sh            # from a checkout of the repository
#   deploy/install.sh --dry-run       # print what it would do, change nothing
# Idempotent: running it again upgrades the package and keeps config and data.
# Layout: user frontdesk, virtualenv /opt/frontdesk/.venv, config
# /etc/frontdesk/frontdesk.yaml (kept if present), data /var/lib/frontdesk.
set -euo pipefail

DRY_RUN=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY_RUN=1 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --dry-run)" >&2; exit 2 ;;
    esac
done

SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/frontdesk
CONF_DIR=/etc/frontdesk
DATA_DIR=/var/lib/frontdesk
UNIT_DIR=/etc/systemd/system
USER_NAME=frontdesk
PYTHON="${PYTHON:-python3}"

run() {
    if [ "$DRY_RUN" -eq 1 ]; then
        printf 'would run: %s\n' "$*"
    else
        "$@"
    fi
}

if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or with --dry-run to see the steps" >&2
    exit 1
fi

run apt-get update
run apt-get install -y --no-install-recommends python3-venv python3-pip libgl1 libglib2.0-0
if id "$USER_NAME" >/dev/null 2>&1; then
    echo "user $USER_NAME exists"
else
    run useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin --groups video "$USER_NAME"
fi
run install -d -m 0755 "$PREFIX"
run install -d -m 0750 -o root -g "$USER_NAME" "$CONF_DIR"
run install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$DATA_DIR"
if [ -x "$PREFIX/.venv/bin/python" ]; then
    echo "virtualenv $PREFIX/.venv exists"
else
    run "$PYTHON" -m venv "$PREFIX/.venv"
fi
run "$PREFIX/.venv/bin/pip" install --upgrade pip
run "$PREFIX/.venv/bin/pip" install --upgrade "$SRC"
if [ -e "$CONF_DIR/frontdesk.yaml" ]; then
    echo "config $CONF_DIR/frontdesk.yaml kept"
else
    run install -m 0640 -o root -g "$USER_NAME" "$SRC/config/frontdesk.yaml" "$CONF_DIR/frontdesk.yaml"
fi
for unit in frontdesk.service frontdesk-report.service frontdesk-report.timer; do
    run install -m 0644 "$SRC/deploy/$unit" "$UNIT_DIR/$unit"
done
run systemctl daemon-reload
run systemctl enable frontdesk.service frontdesk-report.timer
run systemctl restart frontdesk.service
run systemctl start frontdesk-report.timer
echo "frontdesk installed: edit $CONF_DIR/frontdesk.yaml (store and outbox paths under $DATA_DIR),"
echo "then: sudo systemctl restart frontdesk; journalctl -u frontdesk -f"
