# An Sinh as a container: compiled JavaScript, production dependencies only, run as the unprivileged
# `node` user, healthy when /readyz answers (the database is reachable).
#   docker build -t an-sinh .
#   docker run -e DATABASE_URL=postgres://… -e JWT_SECRET=… -p 127.0.0.1:4000:4000 an-sinh

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY seeds seeds
COPY schema schema
COPY persisted persisted
COPY migrations migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The embedded database's folder, for running without DATABASE_URL; owned by the user that runs the service.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches node directly (exec form): in-flight requests drain before exit.
CMD ["node", "dist/src/server.js"]
