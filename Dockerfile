# Jiayuan: one static binary in a distroless image, running as a non-root user.
#
#   docker build -t jiayuan .
#   docker run -p 8080:8080 -v jiayuan-data:/data -e JIAYUAN_ADMIN_PASSWORD=… jiayuan
#
# Without MONGODB_URI it runs on the embedded SQLite engine in /data; docker-compose.yml
# runs it against a MongoDB replica set. Health: the image has no shell, so there is no
# HEALTHCHECK here; let the orchestrator probe GET /readyz (200 when the database answers,
# 503 when not) and GET /healthz (the process answers).
# (Docker cannot run on the project's build machines: this file is kept correct by reading.)

# The Go version of go.mod's `go` line; the golang image will not fetch a newer toolchain.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go, so the binary needs no C library at all. No VCS stamp:
# .git is not in the build context.
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags="-s -w" -o /out/jiayuan ./cmd/jiayuan \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jiayuan /jiayuan
# The data directory (SQLite file, search index) belongs to the nonroot user (65532); a
# new named volume mounted there starts with this ownership.
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
ENV JIAYUAN_ADDR=0.0.0.0:8080 \
    JIAYUAN_DATA=/data
VOLUME ["/data"]
EXPOSE 8080
# On SIGTERM the server stops accepting and lets requests finish (10 s by default): give
# it that long before SIGKILL (docker stop -t, stop_grace_period in compose).
ENTRYPOINT ["/jiayuan"]
CMD ["serve"]
