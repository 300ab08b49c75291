# Jiayuan: a static binary in a distroless image, running as a non-root user.
# Build: docker build -t jiayuan .    Run: see docker-compose.yml.
# (Docker cannot run on the project's build machines: this file is kept correct by reading.)

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go, so the binary needs no C library at all.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/jiayuan ./cmd/jiayuan \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jiayuan /jiayuan
# The data directory (the embedded SQLite file) belongs to the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
ENV JIAYUAN_ADDR=0.0.0.0:8080 \
    JIAYUAN_DATA=/data
VOLUME ["/data"]
EXPOSE 8080
# Probe GET /readyz (database reachable) from the orchestrator: the image has no shell.
ENTRYPOINT ["/jiayuan"]
CMD ["serve"]
