# barnteam: a static, pure-Go binary (modernc SQLite, pgx; assets and templates embedded)
# on a distroless base that runs as the unprivileged user "nonroot" (uid/gid 65532).
#
#   docker build -t barnteam .
#   docker run -d --name barnteam -p 127.0.0.1:8080:8080 \
#     -e BARNTEAM_BASE_URL=https://barnteam.example.se -v barnteam-data:/data barnteam
#
# See docs/DEPLOY.md ("Docker") for PostgreSQL, metrics, backups and probes.

# The Go version of go.mod. Pin the image by digest (golang:1.26.8-bookworm@sha256:…) for
# reproducible builds.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/barnteam ./cmd/barnteam \
 && install -d -m 0700 /out/data /out/backup

# No shell, no package manager; CA certificates and tzdata are included.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/barnteam /usr/local/bin/barnteam
# Owned by nonroot, so that a named volume mounted here starts out writable by the
# server (a bind mount keeps the host's owner: chown 65532:65532 it).
COPY --from=build --chown=65532:65532 /out/data /data
# For "barnteam backup -to /backup/…" with a volume mounted here.
COPY --from=build --chown=65532:65532 /out/backup /backup

ENV BARNTEAM_ADDR=0.0.0.0:8080 \
    BARNTEAM_DATA=/data
# /data holds barnteam.db (SQLite, with its -wal and -shm files), plan-signing-key.pem and
# barnteam.lock. With PostgreSQL it holds only the key.
VOLUME /data
EXPOSE 8080
# Metrics are off unless BARNTEAM_METRICS_ADDR is set (e.g. 0.0.0.0:9090). Port 9090 is
# deliberately not EXPOSEd, so that "docker run -P" never publishes it: publish it only to
# the operators' network, e.g. -p 10.0.0.5:9090:9090.
#
# No HEALTHCHECK: the image has no shell or HTTP client to run one. Let the orchestrator
# probe GET /healthz (liveness) and GET /readyz (readiness) on port 8080.
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/barnteam"]
