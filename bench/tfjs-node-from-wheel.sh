#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native addon from source against the TensorFlow C library inside a
# local TensorFlow wheel (a zip), where npm cannot download libtensorflow 2.9.1 from
# storage.googleapis.com, in a scratch folder outside the repository; then prints the NODE_PATH under
# which `mtl ... --backend tensorflow` finds it. Nothing is added to mtl or its node_modules.
#
#   bench/tfjs-node-from-wheel.sh WHEEL [DEST]      (DEST default: /tmp/mtl-tfjs-node)
#   e.g. bench/tfjs-node-from-wheel.sh /opt/pypi/files/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl /work/tfnode
#
# Needs the npm registry, g++, make, python3, unzip, nm, and Node's C headers: NODEDIR (default: the
# folder above the running node's bin/, whose include/node/node_api.h Debian's nodejs puts in /usr).
# Verified with tensorflow_cpu 2.21.0 (Linux x86-64): its libtensorflow_cc.so.2 exports the C API
# (TF_*, TFE_*) that tfjs-node 4.22's binding calls; see docs/backends.md for what works.
set -euo pipefail

WHEEL=${1:?usage: bench/tfjs-node-from-wheel.sh WHEEL [DEST]}
WHEEL=$(realpath "$WHEEL")
DEST=$(realpath -m "${2:-/tmp/mtl-tfjs-node}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODEDIR=${NODEDIR:-$(node -p "require('path').resolve(process.execPath, '../..')")}
[ -f "$NODEDIR/include/node/node_api.h" ] || { echo "no Node headers in $NODEDIR/include/node: set NODEDIR" >&2; exit 1; }
# tfjs-node must be the version of mtl's tfjs: both load the one copy in mtl's node_modules.
VERSION=$(node -p "require('$ROOT/node_modules/@tensorflow/tfjs/package.json').version")

echo "1/4 unpacking the TensorFlow C library and headers from $(basename "$WHEEL") into $DEST/wheel"
mkdir -p "$DEST/wheel"
unzip -q -o "$WHEEL" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$DEST/wheel"
LIB="$DEST/wheel/tensorflow"
FOUND=$(nm -D --defined-only "$LIB/libtensorflow_cc.so.2" | awk '{ sub(/@.*/, "", $3) } $3 ~ /^(TF_Version|TFE_NewContext|TFE_Execute)$/ { print $3 }' | sort -u | wc -l)
[ "$FOUND" = 3 ] || { echo "libtensorflow_cc.so.2 lacks the TensorFlow C API (TF_Version, TFE_NewContext, TFE_Execute)" >&2; exit 1; }

echo "2/4 fetching @tensorflow/tfjs-node@$VERSION and its dependencies (not @tensorflow/tfjs: mtl's is used)"
cd "$DEST"
[ -f package.json ] || echo '{"name": "tfjs-node-from-wheel", "private": true}' > package.json
TGZ=$(npm pack --silent "@tensorflow/tfjs-node@$VERSION")
rm -rf package && tar xzf "$TGZ" && rm "$TGZ"
mapfile -t DEPS < <(node -p "Object.entries(require('./package/package.json').dependencies).filter(([n]) => !n.startsWith('@tensorflow/')).map(([n, v]) => n + '@' + v).join('\n')")
npm install --silent --ignore-scripts --no-audit --no-fund "${DEPS[@]}" node-gyp
PKG="$DEST/node_modules/@tensorflow/tfjs-node"
rm -rf "$PKG" && mkdir -p "$(dirname "$PKG")" && mv package "$PKG"

echo "3/4 building the addon against $LIB (binding.gyp links -ltensorflow -ltensorflow_framework from deps/lib)"
mkdir -p "$PKG/deps/lib"
ln -sfn "$LIB/include" "$PKG/deps/include"
ln -sf "$LIB/libtensorflow_cc.so.2" "$PKG/deps/lib/libtensorflow_cc.so.2"
ln -sf "$LIB/libtensorflow_framework.so.2" "$PKG/deps/lib/libtensorflow_framework.so.2"
ln -sf libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -sf libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
# `install --build-from-source` compiles the one Node-API version this node loads (lib/napi-v8).
(cd "$PKG" && PATH="$DEST/node_modules/.bin:$PATH" node-pre-gyp install --build-from-source --nodedir="$NODEDIR" --loglevel=warn)

echo "4/4 checking"
export NODE_PATH="$DEST/node_modules:$ROOT/node_modules"
TF_CPP_MIN_LOG_LEVEL=1 node -e "
  const tf = require('@tensorflow/tfjs-node');
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = Array.from(tf.matMul(x, x).dataSync());
  if (y.join() !== '7,10,15,22') throw new Error('matMul gave ' + y);
  console.log('tfjs-node ' + tf.version['tfjs-node'] + ' on libtensorflow ' + tf.backend().binding.TF_Version + ': ok');" 2>&1 | grep -v '^I0000\|^WARNING: All log messages'
echo
echo "Use it with:"
echo "  export NODE_PATH=$NODE_PATH"
echo "  node $ROOT/bin/mtl.js train configs/quickstart.yaml --backend tensorflow"
