# CounterLab image: one static binary on an empty base with CA certificates,
# running as a non-root user. The same image runs the web app (`serve`, the
# default) or the Momento-compatible emulator (`emulator`).
#
# Default build (pulls the Go image; GO_IMAGE names another, a mirror say):
#
#   docker build -t counterlab .
#   docker build --build-arg GO_IMAGE=mirror.example/golang:1.26-bookworm -t counterlab .
#
# Build from a binary made outside Docker, for machines that cannot pull the
# Go image (the container tests do this): put the image's files in a
# directory of the build context laid out as its root filesystem, then build
# the "prebuilt" target, which never touches the Go image:
#
#   rootfs/usr/local/bin/counterlab      CGO_ENABLED=0 GOOS=linux go build
#   rootfs/etc/ssl/certs/ca-certificates.crt
#   rootfs/tmp/                          mode 1777
#
#   docker build -f Dockerfile --target prebuilt --build-arg PREBUILT=rootfs -t counterlab DIR
#
# The stages are ordered for Docker's legacy builder too, which builds every
# stage up to the target in file order: "prebuilt" comes before the Go stage,
# and the default path still works when the context has no prebuilt files.

ARG GO_IMAGE=golang:1.26-bookworm

# runtime holds what every final image shares: user, port, health check and
# entry point. It has no files of its own.
FROM scratch AS runtime
ENV COUNTERLAB_ADDR=0.0.0.0:8080
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/counterlab", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/counterlab"]
CMD ["serve"]

# prebuilt copies a root filesystem from the build context. PREBUILT names
# it; the default, go.mod, is there in any context of the default build, so
# the legacy builder can run this unused stage without failing.
FROM runtime AS prebuilt
ARG PREBUILT=go.mod
COPY ${PREBUILT} /

# build compiles the static binary and lays out the same root filesystem.
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" \
        -o /rootfs/usr/local/bin/counterlab . \
    && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp \
    && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && chmod 1777 /rootfs/tmp

# The default target.
FROM runtime AS final
COPY --from=build /rootfs/ /
