# memwarden container image.
#
#   docker build -t memwarden .
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim -t memwarden .
#
# NODE_IMAGE: a Debian-based Node 22 or 24 image with npm and the user node (uid/gid 1000), like the
# official node:<version>-bookworm-slim images. Both stages use it, so the addon compiled in the
# build stage matches the Node that loads it. Run it as README.md "Run in Docker" and
# docker-compose.example.yml show (pid: host, /proc and the cgroup filesystem, the Docker API).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- deps: every dependency, better-sqlite3 compiled for this Node -----------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# better-sqlite3 compiles with node-gyp when no prebuilt binary can be downloaded: python3, make and
# a C++ compiler, in this stage only.
RUN set -eu; \
    missing=""; \
    for tool in python3 make g++; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends python3 make g++; \
      rm -rf /var/lib/apt/lists/*; \
    fi
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Only the manifests first: this layer (the slow one) is rebuilt when the dependencies change, not
# when the sources do.
COPY package.json package-lock.json ./
# --ignore-scripts: no "prepare" (it runs the TypeScript build; the sources are not here yet) and no
# install scripts of dependencies we do not need built (npm 11 blocks those not in "allowScripts";
# npm 10 would run them all). The one native addon memwarden needs is then built explicitly, against
# this Node's own headers when the image has them (no download from nodejs.org).
RUN set -eu; \
    npm ci --ignore-scripts; \
    prefix=$(dirname "$(dirname "$(command -v node)")"); \
    if [ -f "$prefix/include/node/node_version.h" ]; then export npm_config_nodedir="$prefix"; fi; \
    npm rebuild better-sqlite3

# ---- build: compile TypeScript -----------------------------------------------------------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && chmod 0755 dist/main.js

# ---- prod-deps: production dependencies only, with the compiled addon and nothing to compile it ---
FROM deps AS prod-deps
RUN set -eu; \
    npm prune --omit=dev --ignore-scripts; \
    cd node_modules/better-sqlite3; \
    mv build/Release/better_sqlite3.node /tmp/; \
    rm -rf build deps src; \
    mkdir -p build/Release; \
    mv /tmp/better_sqlite3.node build/Release/; \
    cd /app; \
    node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# ---- runtime -----------------------------------------------------------------------------------
# Settings first, files last: a source change then rebuilds only the last COPY steps (each step of
# the classic builder costs a container, which on a vfs storage driver is a full copy of the image).
FROM ${NODE_IMAGE} AS runtime
ARG NODE_IMAGE
ARG MEMWARDEN_VERSION=0.1.0
LABEL org.opencontainers.image.title="memwarden" \
      org.opencontainers.image.description="Slack/ChatOps bot that keeps host and container memory in check: exact numbers, alerts that explain themselves, approved fixes that are verified." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${MEMWARDEN_VERSION}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# /metrics and /healthz on every interface of the container (outside a container memwarden's default
# is 127.0.0.1): the container's own loopback cannot be reached from the host. Publish the port on the
# host's loopback (docker-compose.example.yml: "127.0.0.1:9464:9464"); the variable overrides ops.host
# in a config file, so set it here to change it.
ENV NODE_ENV=production MEMWARDEN_DATA_DIR=/data MEMWARDEN_OPS_HOST=0.0.0.0
# `docker exec <container> memwarden status --json`: the CLI on PATH. /data belongs to the user
# memwarden runs as (a new named volume takes this owner; a bind-mounted directory must be made
# writable for uid 1000 on the host).
RUN mkdir -p /app /data \
 && chown 1000:1000 /data \
 && ln -s /app/dist/main.js /usr/local/bin/memwarden
WORKDIR /app
VOLUME ["/data"]
# 9464: /metrics and /healthz (ops.port, MEMWARDEN_OPS_PORT); 3000: Slack HTTP mode (PORT)
EXPOSE 9464 3000
# node itself (slim images have no curl). The port comes from MEMWARDEN_OPS_PORT: set the port there,
# not only in the config file, or this probes the default.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MEMWARDEN_OPS_PORT || 9464) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["run"]
# The node user of the official images, numerically so that Kubernetes' runAsNonRoot can check it.
# The application files below stay root-owned: memwarden cannot change its own code or runbooks.
USER 1000:1000
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json manifest.yml memwarden.example.yml ./
COPY commands ./commands
COPY --from=build /app/dist ./dist
# The commit, when the build passes it (--build-arg VCS_REF=$(git rev-parse HEAD)).
ARG VCS_REF=""
LABEL org.opencontainers.image.revision="${VCS_REF}"
