# codedispatch service image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY apps ./apps
# The service and its console page only: the tools and the example are not in the image, so the root build (which builds them too,
# and runs as npm ci's prepare) is skipped for the service's own project and the PGlite template.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npx tsc -b apps/http \
 && node packages/postgres/dist/cli/pglite-template.js \
 && npm run build --silent -w apps/console \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
# A heap limit under 2 GB also makes V8 grow the heap by 1.3–2× the live data instead of 4×
# (docs/operations.md, Memory): 10,000 long-polls stay under 512 MB.
ENV NODE_ENV=production PORT=8080 NODE_OPTIONS=--max-old-space-size=1024
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8080
CMD ["node", "apps/http/dist/main.js"]
