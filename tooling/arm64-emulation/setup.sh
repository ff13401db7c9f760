#!/usr/bin/env bash
# Lets this x86-64 Linux machine run arm64 Linux binaries, forked children included: qemu-user as the binfmt_misc
# interpreter of aarch64 ELF files, with the aarch64 sysroot of Debian's cross toolchain as their / for the loader.
# Run as root (by .ci/run, before the tests). Idempotent: an existing mount or registration is kept.
# Needs the Debian packages qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross (installed by .ci/run).
set -euo pipefail

BINFMT=/proc/sys/fs/binfmt_misc
CONF=/usr/lib/binfmt.d/qemu-aarch64.conf
SYSROOT=/usr/aarch64-linux-gnu

fail() { echo "arm64-emulation setup: $*" >&2; exit 1; }

[ -f "$CONF" ] || fail "$CONF is missing: apt-get install qemu-user-static"
[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || fail "$SYSROOT/lib/ld-linux-aarch64.so.1 is missing: apt-get install libc6-arm64-cross"
[ -e "$SYSROOT/lib/libstdc++.so.6" ] || fail "$SYSROOT/lib/libstdc++.so.6 is missing (the addon needs it): apt-get install libstdc++6-arm64-cross"

if [ ! -e "$BINFMT/register" ]; then
  mount -t binfmt_misc binfmt_misc "$BINFMT" || fail "cannot mount binfmt_misc on $BINFMT (root, or a privileged container, is needed)"
fi
# A registration cannot be written twice (EEXIST), and one made by another package (e.g. systemd-binfmt) is as good.
if [ ! -e "$BINFMT/qemu-aarch64" ]; then
  # the binfmt.d file holds one registration line (comments start with #)
  grep -m1 '^:qemu-aarch64:' "$CONF" > "$BINFMT/register" || fail "could not register $CONF with $BINFMT/register"
fi
if [ "$(head -n1 "$BINFMT/qemu-aarch64")" != enabled ]; then
  echo 1 > "$BINFMT/qemu-aarch64"
fi
[ "$(head -n1 "$BINFMT/status")" = enabled ] || echo 1 > "$BINFMT/status"
echo "arm64-emulation setup: qemu-aarch64 registered ($(sed -n 's/^interpreter //p' "$BINFMT/qemu-aarch64")); run arm64 binaries with QEMU_LD_PREFIX=$SYSROOT"
