# syntax=docker/dockerfile:1
# The dtq image: one image, many commands. docker-compose.yml runs the API, the workers, the
# shipper, the setup step, the nginx config renderer and the load generator from it, each with
# the same `node <entry>.ts` command `npm run workload` runs natively (Node 24 strips the types;
# there is no compile step except the explorer bundle).
# Inputs: the repository (minus .dockerignore). Output: a small runtime image, user `node`,
# production dependencies only, logs under /var/log/dtq (DTQ_LOG_DIR).

# Build stage: all dependencies, to bundle the explorer (esbuild is a devDependency).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would bundle before the sources are copied, and the `node` package's
# install script fetches a Node binary the base image already has. esbuild's binary comes from
# its platform package, which needs no script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: production dependencies and the sources the services run.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DTQ_LOG_DIR=/var/log/dtq \
    DTQ_LOG_STDOUT=1
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts in production either: msgpackr-extract loads its prebuilt binary from its
# platform package, and the image's own Node 24 replaces the `node` package's download.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY contract ./contract
COPY instrumentation ./instrumentation
COPY workload ./workload
COPY shipper ./shipper
COPY elk ./elk
COPY dashboards ./dashboards
# Writable by the service user: a named volume is initialised from the image's directory at
# its mount point, owner included, so the log and nginx-config volumes start out writable;
# var/ holds the load generator's ground truth.
RUN mkdir -p /var/log/dtq /etc/dtq-nginx /app/var && chown node:node /var/log/dtq /etc/dtq-nginx /app/var
USER node
# The API by default; every compose service names its own command.
CMD ["node", "workload/api/main.ts"]
