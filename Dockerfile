# syntax=docker/dockerfile:1
# Build a static binary (pure-Go SQLite, so CGO stays off) and run it as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# files/ is the default file store, and where deploy/compose.yaml mounts the replicas' shared
# volume: made here so that a fresh volume takes its owner (nonroot) from the image.
RUN mkdir -p /out/var/lib/naversync/files && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/naversync ./cmd/naversync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/naversync /usr/local/bin/naversync
COPY --from=build --chown=65532:65532 /out/var/lib/naversync /var/lib/naversync
# tzdata for Asia/Seoul is embedded in the binary (time/tzdata), so the image needs none.
ENV NAVERSYNC_DATA_DIR=/var/lib/naversync \
    NAVERSYNC_HTTP_ADDR=:8080
VOLUME ["/var/lib/naversync"]
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/naversync"]
CMD ["serve"]
