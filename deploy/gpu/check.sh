#!/usr/bin/env bash
# The first GPU figures for Parley, with random weights (no model download): the device and the
# libtorch build, the Moshi-7B-shaped LM step in float16 (--half) at batch 1/8/32/64, Mimi
# encode+decode per 80 ms frame at batch 1/8/32, and the most GPU memory used. On one H100/H200
# it takes a few minutes. The benchmarks run on libtorch's default device: the GPU when the CUDA
# libtorch sees one (the output's "default device gpu(0)" line says so).
#
# Inside the CUDA image:  docker run --gpus all --entrypoint bash parley:cuda /opt/parley/check.sh
# On a CUDA host:         PYTORCH_LIBRARY_PATH=/opt/libtorch/lib deploy/gpu/check.sh server/target/parley-server.jar
#                         (a jar built with -Dgpu; libtorch 2.7.1+cu128 as deploy/docker/Dockerfile.cuda installs it)
set -euo pipefail
JAR=${1:-${PARLEY_JAR:-/opt/parley/parley-server.jar}}
STEPS=${STEPS:-50}
FRAMES=${FRAMES:-100}
: "${PYTORCH_LIBRARY_PATH:?set PYTORCH_LIBRARY_PATH to the lib/ folder of libtorch 2.7.1+cu128}"
export PYTORCH_VERSION=${PYTORCH_VERSION:-2.7.1} PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-cu128} DJL_OFFLINE=true
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

echo "== device"
nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap --format=csv,noheader
echo "== libtorch"
echo "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH flavor=$PYTORCH_FLAVOR build=$(cat "$PYTORCH_LIBRARY_PATH/../build-version" 2>/dev/null || echo unknown)"
java -jar "$JAR" 2>&1 | grep -iE "pytorch|device|cuda|gpu" || true

# The most memory used on the GPU while the benchmarks run, sampled twice a second.
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 >"$out/memory.csv" &

echo "== LM step, Moshi 7B shape, float16 (random weights)"
for b in 1 8 32 64; do
  java -jar "$JAR" bench lm --config moshi7b --half --batch "$b" --steps "$STEPS" --warmup 10 2>&1 | grep '^bench=' ||
    echo "bench lm --batch $b failed"
done
echo "== Mimi encode + decode per frame (float32)"
for b in 1 8 32; do
  java -jar "$JAR" bench mimi --batch "$b" --frames "$FRAMES" --warmup 10 2>&1 | grep '^bench=' ||
    echo "bench mimi --batch $b failed"
done
echo "== memory"
echo "peak GPU memory used: $(sort -n "$out/memory.csv" | tail -1) MiB (whole device, sampled every 0.5 s)"
