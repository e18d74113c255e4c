# cordon-guard image: build with Node 24 on Debian 12, run on distroless Node 24 as uid 65532.
#   docker build -t "$(node packaging/image.ts)" .     (make image)
# For linux/amd64 and linux/arm64 (.github/workflows/release.yaml): both base images are
# multi-arch, nothing is downloaded per architecture, and the build stage runs on the build
# machine's own platform, since its output (dist/ and pure-JavaScript dependencies, no native
# addon: test/unit/manifests/image.test.ts) is the same for every target.
# The manifests pass the serve flags as `args: [--tls-secret, ...]`.

FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a source change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile to dist/, then drop the dev dependencies (TypeScript, types, test tools).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# V8's young generation at most 2 x 4 MiB semi-spaces, and glibc malloc with two arenas that maps
# blocks of 64 KiB and more on their own: a replica at rest then fits its memory request
# (docs/performance.md "Memory"). The Deployment sets the same environment
# (test/unit/manifests/image.test.ts checks that they agree).
ENV NODE_OPTIONS="--max-semi-space-size=4"
ENV MALLOC_ARENA_MAX="2"
ENV MALLOC_MMAP_THRESHOLD_="65536"
# Owned by root and not writable by the runtime user; the manifests also mount / read-only.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# distroless "nonroot": uid and gid 65532, as the Deployment's securityContext expects.
USER 65532:65532
# 9443: HTTPS admission webhook (/validate). 8080: plain HTTP /healthz, /readyz, /metrics.
EXPOSE 9443 8080
# The container serves; its args (Kubernetes `args`, or `docker run IMAGE --self-signed`) are serve flags.
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js", "serve"]
