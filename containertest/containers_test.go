package containertest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Ports inside the containers.
const (
	appPort      = "8080/tcp"
	emulatorPort = "8080/tcp"
)

// startTimeout bounds the start of one container, health check included.
const startTimeout = 90 * time.Second

// newNetwork creates a Docker network removed when t ends, after the
// containers started later in t.
func newNetwork(t *testing.T) *testcontainers.DockerNetwork {
	t.Helper()
	nw, err := network.New(context.Background())
	testcontainers.CleanupNetwork(t, nw)
	if err != nil {
		t.Fatalf("create a Docker network: %v", err)
	}
	return nw
}

// startContainer runs img with opts, terminated when t ends; when t fails,
// the container's log goes to t's output first.
func startContainer(t *testing.T, name, img string,
	opts ...testcontainers.ContainerCustomizer,
) *testcontainers.DockerContainer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	c, err := testcontainers.Run(ctx, img, opts...)
	testcontainers.CleanupContainer(t, c)
	if c != nil {
		t.Cleanup(func() {
			if t.Failed() {
				logContainer(t, name, c)
			}
		})
	}
	if err != nil {
		t.Fatalf("start %s (%s): %v", name, img, err)
	}
	return c
}

// logContainer writes the end of a container's log to t's output.
func logContainer(t *testing.T, name string, c *testcontainers.DockerContainer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	r, err := c.Logs(ctx)
	if err != nil {
		t.Logf("%s log: %v", name, err)
		return
	}
	defer r.Close()
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	const keep = 16 << 10
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	t.Logf("%s log (end):\n%s", name, b)
}

// startEmulator runs the image's emulator command, published on a host port,
// and waits until the image's health check passes. opts add to the
// container's settings (a network, for one).
func startEmulator(t *testing.T, tag string,
	opts ...testcontainers.ContainerCustomizer,
) *testcontainers.DockerContainer {
	t.Helper()
	opts = append([]testcontainers.ContainerCustomizer{
		testcontainers.WithCmd("emulator", "--addr", "0.0.0.0:8080"),
		testcontainers.WithExposedPorts(emulatorPort),
		testcontainers.WithWaitStrategy(wait.ForHealthCheck().WithStartupTimeout(startTimeout)),
	}, opts...)
	return startContainer(t, "emulator", tag, opts...)
}

// endpoint is host:port of a container's published port.
func endpoint(t *testing.T, c *testcontainers.DockerContainer, port string) string {
	t.Helper()
	ep, err := c.PortEndpoint(context.Background(), port, "")
	if err != nil {
		t.Fatalf("endpoint of %s: %v", port, err)
	}
	return ep
}
