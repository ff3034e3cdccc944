# syntax=docker/dockerfile:1
# vipps-psp-emulator: the platform alone, in a container.
#
#   docker build -t vipps-psp-emulator .
#   docker run -p 7070:7070 -v vipps-data:/data vipps-psp-emulator
#
# Without access to Docker Hub, make the base images locally and pass them in (README, "Container"):
#   scripts/container/make-local-base.sh
#   podman build --build-arg BUILD_IMAGE=localhost/node20-bookworm-build-local \
#                --build-arg RUNTIME_IMAGE=localhost/node20-bookworm-local -t vipps-psp-emulator .
ARG BUILD_IMAGE=node:20-bookworm
ARG RUNTIME_IMAGE=node:20-bookworm-slim

# --- build: compile the TypeScript, then keep only the production dependencies ---
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script (the build) needs the sources, copied below; better-sqlite3's
# own install script (its native binary) runs in the rebuild that follows.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: Node, the built files and the production dependencies; no compiler, no npm cache ---
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=7070 \
    DATABASE_URL=sqlite:/data/vipps-psp-emulator.sqlite
WORKDIR /app
RUN groupadd --system --gid 10001 emulator \
 && useradd --system --uid 10001 --gid emulator --home-dir /app --shell /usr/sbin/nologin emulator \
 && mkdir -p /data && chown emulator:emulator /data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY seed ./seed
COPY spec ./spec
COPY public ./public
USER emulator
VOLUME ["/data"]
EXPOSE 7070
# /health answers 200 when the database answers; Node's fetch, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||7070)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
