#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine (run as root):
# apt: ONNX's operator test suite, Fashion-MNIST, Chromium, a word list and fortunes (sequence data); pip: wasmtime; npm: the locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

echo "== apt: libonnx-testdata dataset-fashion-mnist chromium wamerican fortunes-min"
apt-get update -qq
apt-get install -y -qq libonnx-testdata dataset-fashion-mnist chromium wamerican fortunes-min >/dev/null

echo "== pip: wasmtime (runs our modules as the wasmtime CLI would on a device)"
if ! python3 -c "import wasmtime" 2>/dev/null; then
  python3 -m pip install --quiet wasmtime || true
fi
if ! python3 -c "import wasmtime" 2>/dev/null; then
  echo "!! python package 'wasmtime' could not be installed: wasmtime tests will FAIL in CI" >&2
  echo "!! (the WASI module is still tested under Node's WASI)" >&2
fi

echo "== npm ci"
# onnxruntime-node's install script would download its CUDA provider from NuGet (we run it on the CPU).
# package.json's "allowScripts" denies that script on npm >= 11.19; older npm ignores that field and
# reads this variable instead.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
