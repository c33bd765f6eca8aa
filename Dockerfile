# API image. Models are not baked in: mount them at /models (see docker-compose.yml) or run
# `npm run models:fetch` with MODEL_DIR=/models where the public sources are reachable.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# Two malloc arenas: libvips decodes on many threads, and glibc's per-thread arenas otherwise keep ~160 MiB after bursts of large images (fuzz proof).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 MODEL_DIR=/models MALLOC_ARENA_MAX=2 DATA_DIR=/data
# Index snapshots (and the embedded Postgres, when no DATABASE_URL) live here: mount a volume to keep them.
RUN mkdir /data && chown node:node /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/models ./models
COPY package.json ./
EXPOSE 3000
USER node
CMD ["node", "dist/apps/api/src/main.js"]
