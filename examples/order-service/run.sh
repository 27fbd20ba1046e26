#!/usr/bin/env bash
# The order-service example as an outside team runs it: pack the library,
# install the tarballs (and their peers, at the versions this repository
# uses) into a scratch copy of the example, build it with strict TypeScript,
# then run its flow and its tests on a scratch database of TEST_DATABASE_URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
scratch=$(mktemp -d)
db="cd_example_$$_$RANDOM"
cleanup() {
  psql "$admin" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

version() { node -p "require('$root/node_modules/$1/package.json').version"; }

mkdir -p "$scratch/packs"
(cd "$root" && npm pack --silent -w packages/core -w packages/postgres -w packages/processing-queue --pack-destination "$scratch/packs" >/dev/null)
cp -r "$here/src" "$here/test" "$here/package.json" "$here/tsconfig.json" "$scratch/"
cd "$scratch"
npm install --no-audit --no-fund --loglevel=error ./packs/*.tgz \
  "fp-ts@$(version fp-ts)" "io-ts@$(version io-ts)" "kysely@$(version kysely)" "pg@$(version pg)" \
  "typescript@$(version typescript)" "@types/node@$(version @types/node)" "@types/pg@$(version @types/pg)"
npm run --silent build
psql "$admin" -qc "create database $db"
url=$(node -e "const u = new URL(process.argv[1]); u.pathname = '/$db'; console.log(u.toString())" "$admin")
DATABASE_URL=$url npm start --silent
DATABASE_URL=$url npm test --silent
