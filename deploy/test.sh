#!/usr/bin/env bash
# Deployment checks, run by .ci/run after the Maven tests (which build the jars):
#   kubernetes  render the Kustomize overlays (Debian's kubectl, unpacked privately), validate every
#               object against the Kubernetes/KEDA/Prometheus Operator schemas (npm kubernetes-models)
#               and check what must line up with the server (probes, ports, grace > drain, metric)
#   prometheus  a real Prometheus scrapes a running server during a dialogue session; every PromQL
#               expression of the Grafana dashboard, the prometheus-adapter rule and the KEDA trigger
#               must return series; promtool checks the Compose config
#   container   build deploy/docker/Dockerfile.cpu with podman on a local debootstrap'd base, run it,
#               hold a dialogue session through the published port, SIGTERM during it: the session
#               ends normally, new ones are refused as "draining", /readyz is 503, exit 0 in time
#   libtorch    the CUDA image's libtorch layout (external libtorch + JNI, PYTORCH_FLAVOR), on CPU
# Usage: bash deploy/test.sh [kubernetes] [prometheus] [libtorch] [container]   (default: all)
# Needs root (podman, apt-get). Downloads are cached in $PARLEY_DEPLOY_CACHE (/var/tmp/parley-deploy).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${PARLEY_DEPLOY_CACHE:-/var/tmp/parley-deploy}
mkdir -p "$CACHE"
T=$(mktemp -d "$CACHE/run.XXXXXX")
SECTIONS=("$@")
((${#SECTIONS[@]})) || SECTIONS=(kubernetes prometheus libtorch container)
SERVER_JAR=server/target/parley-server.jar
CLI_JAR=client-sdk/target/parley.jar
CONTAINER=parley-deploy-test-$$
IMAGE=localhost/parley:cpu-test
BASE_IMAGE=localhost/parley-test-base:bookworm
DRAIN_SECONDS=20
pids=()
passed=0
failed=0
start=$SECONDS

ok() {
  echo "  ok   $*"
  passed=$((passed + 1))
}
bad() {
  echo "  FAIL $*"
  failed=$((failed + 1))
}
check() { # check "what" command...
  local what=$1
  shift
  if "$@"; then ok "$what"; else
    bad "$what"
    return 1
  fi
}
logged() { # logged FILE command...: the command's output goes to FILE
  local log=$1
  shift
  "$@" >"$log" 2>&1
}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  podman rm -f "$CONTAINER" >/dev/null 2>&1 || true
  podman rmi -f "$IMAGE" >/dev/null 2>&1 || true # the base image stays cached
  rm -rf "$T"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # wait_for SECONDS command...: true once the command succeeds
  local until=$((SECONDS + $1))
  shift
  while ((SECONDS < until)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}

has_status() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "$2" ]; }

# ---- tools -----------------------------------------------------------------------------------
missing=()
for tool in podman:podman runc:runc debootstrap:debootstrap slirp4netns:slirp4netns \
  prometheus:prometheus promtool:prometheus sox:sox soxi:sox curl:curl node:nodejs python3:python3 \
  zip:zip unzip:unzip; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  echo "Installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u)
fi
# kubectl 1.20 from Debian, unpacked into the cache only: never one on the PATH, never a cluster.
KUBECTL=$CACHE/kubectl/usr/bin/kubectl
if [ ! -x "$KUBECTL" ]; then
  (cd "$T" && { apt-get download -qq kubernetes-client 2>/dev/null ||
    { apt-get update -qq && apt-get download -qq kubernetes-client 2>/dev/null; }; } &&
    dpkg -x kubernetes-client_*.deb "$CACHE/kubectl")
fi
NODE_MODULES=$CACHE/npm/node_modules
if [ ! -d "$NODE_MODULES/@kubernetes-models/keda" ]; then
  npm install --prefix "$CACHE/npm" --no-audit --no-fund --silent \
    kubernetes-models@5.1.0 @kubernetes-models/keda@2.0.0 @kubernetes-models/prometheus-operator@6.0.0 js-yaml@4.1.0
fi
if [ ! -f "$SERVER_JAR" ] || [ ! -f "$CLI_JAR" ]; then
  ./mvnw -B -q package -DskipTests -pl server,client-sdk -am
fi
sox -n -r 24000 -c 1 -b 16 "$T/talk8.wav" synth 8 sine 220 vol 0.3
sox -n -r 24000 -c 1 -b 16 "$T/talk1.wav" synth 1 sine 220 vol 0.3
cli() { java -jar "$CLI_JAR" "$@"; }
# From here on a failed check is counted, not fatal: every section runs and reports.
set +e

# ---- kubernetes --------------------------------------------------------------------------------
kubernetes() {
  echo "kubernetes (kubectl $("$KUBECTL" version --client --short 2>/dev/null | awk '{print $3}') kustomize, kubernetes-models)"
  local o rendered=()
  for o in cpu gpu keda; do
    if "$KUBECTL" kustomize "deploy/k8s/$o" >"$T/k8s-$o.yaml" 2>"$T/k8s-$o.err"; then
      ok "kubectl kustomize deploy/k8s/$o renders"
      rendered+=("$T/k8s-$o.yaml")
    else
      bad "kubectl kustomize deploy/k8s/$o: $(cat "$T/k8s-$o.err")"
    fi
  done
  check "rendered objects validate and line up with the server" \
    env ADAPTER_RULES=deploy/k8s/prometheus-adapter/rules.yaml \
    node deploy/test/validate-k8s.mjs "$NODE_MODULES" "${rendered[@]}"
}

# ---- prometheus --------------------------------------------------------------------------------
prometheus_checks() {
  echo "prometheus ($(prometheus --version 2>&1 | head -1 | awk '{print $3}'))"
  check "promtool check config deploy/compose/prometheus.yml" logged "$T/promtool.log" \
    promtool check config deploy/compose/prometheus.yml
  check "the Compose stack's files, services, ports and data source line up" \
    node deploy/test/compose-check.mjs "$NODE_MODULES" deploy/compose
  java -jar "$SERVER_JAR" serve --host 127.0.0.1 --port 0 --grpc-port 0 --max-sessions 4 \
    >"$T/server.log" 2>&1 &
  local server=$!
  pids+=("$server")
  if ! wait_for 300 grep -q "grpc:" "$T/server.log"; then
    bad "the server started: $(tail -5 "$T/server.log")"
    return
  fi
  local http grpc pp
  http=$(sed -n 's#.*http: *http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$T/server.log")
  grpc=$(sed -n 's#.*grpc: *127.0.0.1:\([0-9]*\) .*#\1#p' "$T/server.log")
  pp=$(free_port)
  # The target carries the labels a pod has in a cluster, as the adapter rule and KEDA expect.
  cat >"$T/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: parley
    static_configs:
      - targets: ["127.0.0.1:$http"]
        labels: {namespace: parley, pod: parley-test-0}
EOF
  prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$pp" >"$T/prometheus.log" 2>&1 &
  pids+=("$!")
  check "Prometheus is up" wait_for 60 curl -sf "http://127.0.0.1:$pp/-/ready"
  check "a dialogue session while Prometheus scrapes" logged "$T/chat-prom.log" \
    cli --server "127.0.0.1:$grpc" chat --tail 0 --in "$T/talk8.wav" --out "$T/reply-prom.wav"
  check "Prometheus has scraped the session's frames" wait_for 30 \
    bash -c "curl -s 'http://127.0.0.1:$pp/api/v1/query?query=parley_frame_latency_seconds_count' | grep -q '\"value\":\[[0-9.]*,\"[1-9]'"
  check "every dashboard, adapter and KEDA expression returns series" \
    env POD_NAMESPACE=parley POD_NAME=parley-test-0 node deploy/test/promql-check.mjs "$NODE_MODULES" \
    "http://127.0.0.1:$pp" deploy/compose/grafana/dashboards/parley.json \
    deploy/k8s/prometheus-adapter/rules.yaml deploy/k8s/keda/scaledobject.yaml
  kill -TERM "$server"
  local rc=0
  wait "$server" || rc=$?
  check "the idle server stops on SIGTERM with exit 0 (was $rc)" test "$rc" -eq 0
}

# ---- libtorch: the CUDA image's layout, on CPU -----------------------------------------------
# Dockerfile.cuda runs a jar without bundled natives on a libtorch folder that also holds the JNI
# library. The same layout with the CPU libtorch shows the mechanism works and that the jar
# without it says what to set (the CUDA build itself needs a GPU host).
libtorch() {
  echo "libtorch (the -Dgpu layout: PYTORCH_LIBRARY_PATH, PYTORCH_FLAVOR, JNI beside libtorch)"
  local jar=$T/no-natives.jar lib=$T/libtorch/lib
  mkdir -p "$lib" "$T/djl-cache"
  cp "$SERVER_JAR" "$jar"
  unzip -q -j "$jar" 'pytorch/cpu/linux-x86_64/*' 'jnilib/linux-x86_64/cpu/libdjl_torch.so' -d "$lib"
  zip -q -d "$jar" 'pytorch/cpu/*' 'native/lib/pytorch.properties'
  logged "$T/no-libtorch.log" env -u PYTORCH_LIBRARY_PATH java -jar "$jar" bench lm --config tiny --steps 1
  check "without libtorch the jar says what to set" \
    grep -q "set PYTORCH_LIBRARY_PATH.*PYTORCH_FLAVOR=cu128" "$T/no-libtorch.log"
  check "with PYTORCH_LIBRARY_PATH and PYTORCH_FLAVOR=cpu it computes" logged "$T/external.log" \
    env PYTORCH_LIBRARY_PATH="$lib" PYTORCH_FLAVOR=cpu DJL_CACHE_DIR="$T/djl-cache" \
    java -jar "$jar" bench lm --config tiny --steps 3 --warmup 1
  check "and nothing was extracted or downloaded" test -z "$(ls -A "$T/djl-cache")"
}

# ---- container ---------------------------------------------------------------------------------
container() {
  echo "container (podman $(podman --version | awk '{print $3}'), runc)"
  if ! podman image exists "$BASE_IMAGE"; then
    # A local base: Debian bookworm with a JRE, from the Debian mirror apt uses (about a minute).
    local mirror
    # Only live entries (a deb822 URIs: line or a one-line deb entry), never a comment.
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
      grep -E '^[[:space:]]*(URIs:|deb[[:space:]])' | grep -oE 'https?://[^ ]+/debian/?' | head -1)
    rm -rf "$CACHE/rootfs"
    debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$CACHE/rootfs" \
      "${mirror:-http://deb.debian.org/debian}" >"$T/debootstrap.log" 2>&1 ||
      { bad "debootstrap: $(tail -3 "$T/debootstrap.log")"; return; }
    tar -C "$CACHE/rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
    rm -rf "$CACHE/rootfs"
  fi
  # The build context holds the jar alone, where the Dockerfile expects it.
  mkdir -p "$T/context/server/target"
  cp "$SERVER_JAR" "$T/context/server/target/"
  check "podman build deploy/docker/Dockerfile.cpu on the local base" logged "$T/build.log" \
    podman build --runtime runc --network host --format docker --build-arg "BASE=$BASE_IMAGE" \
    -f deploy/docker/Dockerfile.cpu -t "$IMAGE" "$T/context" ||
    { tail -20 "$T/build.log"; return; }
  local user ports
  user=$(podman image inspect -f '{{.Config.User}}' "$IMAGE")
  ports=$(podman image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$IMAGE")
  check "the image runs as a non-root user ($user) and exposes 8998 and 9998 ($ports)" \
    bash -c "[ '$user' != root ] && [ -n '$user' ] && [[ '$ports' == *8998/tcp* && '$ports' == *9998/tcp* ]]"
  podman run -d --name "$CONTAINER" --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
    --network slirp4netns:port_handler=slirp4netns -p 127.0.0.1::8998 -p 127.0.0.1::9998 \
    -e "PARLEY_DRAIN_SECONDS=$DRAIN_SECONDS" "$IMAGE" serve --host 0.0.0.0 --max-sessions 2 \
    >/dev/null 2>"$T/run.err" || { bad "podman run: $(cat "$T/run.err")"; return; }
  local http grpc
  http=$(podman port "$CONTAINER" 8998/tcp | sed 's/.*://')
  grpc=$(podman port "$CONTAINER" 9998/tcp | sed 's/.*://')
  check "/readyz answers 200 through the published port $http" \
    wait_for 300 has_status "http://127.0.0.1:$http/readyz" 200 ||
    { podman logs "$CONTAINER" 2>&1 | tail -20; return; }
  check "the image's HEALTHCHECK passes" podman healthcheck run "$CONTAINER"
  # A live session of 8 s; SIGTERM once it runs.
  cli --server "127.0.0.1:$grpc" chat --tail 0 --in "$T/talk8.wav" --out "$T/reply-live.wav" >"$T/chat-live.log" 2>&1 &
  local live=$!
  pids+=("$live")
  check "the session is live (parley_sessions_active 1)" wait_for 60 \
    bash -c "curl -s http://127.0.0.1:$http/metrics | grep -q '^parley_sessions_active 1'"
  sleep 1
  local term=$SECONDS
  podman kill --signal TERM "$CONTAINER" >/dev/null
  check "/readyz is 503 once draining" wait_for 5 has_status "http://127.0.0.1:$http/readyz" 503
  local refused=0
  cli --server "127.0.0.1:$grpc" chat --in "$T/talk1.wav" --out "$T/reply-refused.wav" >"$T/chat-refused.log" 2>&1 || refused=$?
  check "a new gRPC session is refused as draining ($(tr '\n' ' ' <"$T/chat-refused.log" | cut -c1-120))" \
    bash -c "[ $refused -ne 0 ] && grep -q 'UNAVAILABLE.*draining' '$T/chat-refused.log'"
  refused=0
  cli chat --transport ws --ws-url "ws://127.0.0.1:$http/api/chat" --in "$T/talk1.wav" --out "$T/reply-refused-ws.wav" \
    >"$T/chat-refused-ws.log" 2>&1 || refused=$?
  check "a new /api/chat session is refused as draining ($(tr '\n' ' ' <"$T/chat-refused-ws.log" | cut -c1-120))" \
    bash -c "[ $refused -ne 0 ] && grep -q 'draining' '$T/chat-refused-ws.log'"
  local rc=0
  wait "$live" || rc=$?
  check "the live session carried on and ended normally (exit $rc, $(grep -o 'reply [0-9.]* s' "$T/chat-live.log" || echo 'no reply'))" \
    bash -c "[ $rc -eq 0 ] && grep -q '100 input frames' '$T/chat-live.log'"
  local code
  code=$(timeout $((DRAIN_SECONDS + 30)) podman wait "$CONTAINER" || echo timeout)
  local took=$((SECONDS - term))
  check "the container exited 0 (exit $code) within the grace period ($took s of ${DRAIN_SECONDS} + 10 s)" \
    bash -c "[ '$code' = 0 ] && [ $took -le $((DRAIN_SECONDS + 10)) ]"
  check "the log tells the drain" bash -c "podman logs '$CONTAINER' 2>&1 | grep -q 'drained: stopped'"
}

for s in "${SECTIONS[@]}"; do
  case $s in
    kubernetes) kubernetes ;;
    prometheus) prometheus_checks ;;
    libtorch) libtorch ;;
    container) container ;;
    *) echo "unknown section $s (kubernetes, prometheus, libtorch, container)" >&2 && exit 2 ;;
  esac
done
echo "deploy/test.sh: $passed passed, $failed failed in $((SECONDS - start)) s"
((failed == 0))
