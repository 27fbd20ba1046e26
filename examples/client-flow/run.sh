#!/usr/bin/env bash
# The typed client as an outside caller installs it: pack @codedispatch/client,
# install the tarball into a scratch copy of this example, build it with strict
# TypeScript, and run the whole flow against a service started from this
# repository (built: npm run build) on an embedded database, whose webhook
# sink points at the example's receiver.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=$(mktemp -d)
service_pid=
cleanup() {
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

version() { node -p "require('$root/node_modules/$1/package.json').version"; }
free_port() { node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }

mkdir -p "$scratch/packs" "$scratch/example"
(cd "$root" && npm pack --silent -w packages/client --pack-destination "$scratch/packs" >/dev/null)
cp -r "$here/src" "$here/package.json" "$here/tsconfig.json" "$scratch/example/"
(cd "$scratch/example" && npm install --no-audit --no-fund --loglevel=error "$scratch"/packs/*.tgz \
  "typescript@$(version typescript)" "@types/node@$(version @types/node)" && npm run --silent build)

port=$(free_port)
receiver_port=$(free_port)
cat > "$scratch/codedispatch.yaml" <<YAML
areas:
  svo_d: { instructions: { en: "Tell this code to the driver of the first car" } }
auth:
  service_tokens: { orders: example-orders-token, processing: example-processing-token }
  driver_jwt: { hs256_secret: example-driver-jwt-secret-0123456789abcdef }
tracker: { kind: memory }
processing_queue:
  sink: webhook
  webhook_url: http://127.0.0.1:$receiver_port/events
  webhook_secret: example-webhook-secret
YAML
export CODEDISPATCH_CONFIG="$scratch/codedispatch.yaml"
PORT=$port PGLITE_DATA_DIR="$scratch/pglite" node "$root/apps/http/dist/main.js" > "$scratch/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/ready" > /dev/null && break; sleep 0.5; done
jwt=$(node "$root/apps/http/dist/cli/token.js" --park park-1 --driver driver-1)

cd "$scratch/example"
CODEDISPATCH_URL="http://127.0.0.1:$port" ORDERS_TOKEN=example-orders-token PROCESSING_TOKEN=example-processing-token \
  DRIVER_JWT="$jwt" WEBHOOK_SECRET=example-webhook-secret RECEIVER_PORT=$receiver_port npm start --silent
