package containertest

import (
	"archive/tar"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// TestImageConfig checks what the Dockerfile promises about every container
// of the image: a non-root user, the binary as entry point running serve by
// default, a health check through the binary, the listen address for a
// container and the published port.
func TestImageConfig(t *testing.T) {
	tag := appImage(t)
	ctx := context.Background()

	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("docker provider: %v", err)
	}
	defer p.Close()
	info, err := p.Client().ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("inspect %s: %v", tag, err)
	}
	cfg := info.Config
	if cfg == nil {
		t.Fatalf("image %s has no config", tag)
	}

	if got, want := cfg.User, "65532:65532"; got != want {
		t.Errorf("user: got %q, want %q", got, want)
	}
	if got, want := cfg.Entrypoint, []string{binaryPath}; !slices.Equal(got, want) {
		t.Errorf("entrypoint: got %q, want %q", got, want)
	}
	if got, want := cfg.Cmd, []string{"serve"}; !slices.Equal(got, want) {
		t.Errorf("cmd: got %q, want %q", got, want)
	}
	if !slices.Contains(cfg.Env, "COUNTERLAB_ADDR=0.0.0.0:8080") {
		t.Errorf("env: got %q, want COUNTERLAB_ADDR=0.0.0.0:8080 in it", cfg.Env)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports: got %v, want 8080/tcp in them", cfg.ExposedPorts)
	}
	var check []string
	if cfg.Healthcheck != nil {
		check = cfg.Healthcheck.Test
	}
	if want := []string{"CMD", binaryPath, "healthcheck"}; !slices.Equal(check, want) {
		t.Errorf("health check: got %q, want %q", check, want)
	}
}

// TestImageFiles checks the image's files: the binary, executable by anyone,
// and a CA bundle that parses, so TLS to AWS and Momento works.
func TestImageFiles(t *testing.T) {
	tag := appImage(t)

	bin := readImageFile(t, tag, binaryPath)
	if bin.mode&0o001 == 0 {
		t.Errorf("%s: mode %v, want executable by others", binaryPath, bin.mode)
	}
	if bin.size < 1<<20 {
		t.Errorf("%s: %d bytes, want a whole binary", binaryPath, bin.size)
	}

	certs := readImageFile(t, tag, certsPath)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certs.data) {
		t.Errorf("%s: no certificate parses", certsPath)
	}
}

// imageFile is a file read from an image.
type imageFile struct {
	mode os.FileMode
	size int64
	data []byte // read only up to 4 MiB
}

// readImageFile reads path from a container created (not started) from tag.
func readImageFile(t *testing.T, tag, path string) imageFile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("docker provider: %v", err)
	}
	defer p.Close()
	cli := p.Client()

	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Image: tag})
	if err != nil {
		t.Fatalf("create a container of %s: %v", tag, err)
	}
	defer func() {
		_, err := cli.ContainerRemove(context.Background(), created.ID,
			client.ContainerRemoveOptions{Force: true})
		if err != nil {
			t.Errorf("remove container %s: %v", created.ID, err)
		}
	}()

	f, err := copyOut(ctx, cli, created.ID, path)
	if err != nil {
		t.Fatalf("%s in %s: %v", path, tag, err)
	}
	return f
}

// copyOut reads one regular file out of a container.
func copyOut(ctx context.Context, cli client.APIClient, id, path string) (imageFile, error) {
	res, err := cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return imageFile{}, err
	}
	defer res.Content.Close()

	tr := tar.NewReader(res.Content)
	hdr, err := tr.Next()
	if err != nil {
		return imageFile{}, fmt.Errorf("read the archive: %w", err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return imageFile{}, fmt.Errorf("not a regular file (tar type %q)", hdr.Typeflag)
	}
	data, err := io.ReadAll(io.LimitReader(tr, 4<<20))
	if err != nil {
		return imageFile{}, fmt.Errorf("read the file: %w", err)
	}
	return imageFile{mode: hdr.FileInfo().Mode(), size: hdr.Size, data: data}, nil
}
