package containertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/counterlab/counterlab/internal/testenv"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Where the image keeps its files.
const (
	binaryPath = "/usr/local/bin/counterlab"
	certsPath  = "/etc/ssl/certs/ca-certificates.crt"
)

// caBundles are the places a host keeps its CA bundle, most likely first.
var caBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"/etc/ssl/cert.pem",                  // macOS, OpenBSD
}

// imageRepo names the images these tests build.
const imageRepo = "counterlab-test"

// image is the CounterLab image of this test run, built once by appImage and
// removed by TestMain.
var image struct {
	once sync.Once
	tag  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := removeImage(); err != nil {
		fmt.Fprintf(os.Stderr, "containertest: %v\n", err)
	}
	os.Exit(code)
}

// appImage returns the tag of the CounterLab image, built from the
// Dockerfile's prebuilt target on first use. It skips or fails t without
// Docker.
func appImage(t *testing.T) string {
	t.Helper()
	testenv.Docker(t)

	image.once.Do(func() {
		version := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
		image.tag = imageRepo + ":" + version
		image.err = buildImage(version)
	})
	if image.err != nil {
		t.Fatalf("build the CounterLab image: %v", image.err)
	}
	return image.tag
}

// buildImage builds the static binary on the host, lays out the image's root
// filesystem next to a copy of the Dockerfile and builds the prebuilt target
// as imageRepo:version.
func buildImage(version string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "counterlab-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rootfs := filepath.Join(dir, "rootfs")
	if err := buildBinary(ctx, root, filepath.Join(rootfs, binaryPath)); err != nil {
		return err
	}
	if err := copyCABundle(filepath.Join(rootfs, certsPath)); err != nil {
		return err
	}
	tmp := filepath.Join(rootfs, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(tmp, os.ModeSticky|0o777); err != nil {
		return err
	}
	dockerfile := filepath.Join(dir, "Dockerfile")
	if err := copyFile(filepath.Join(root, "Dockerfile"), dockerfile); err != nil {
		return err
	}

	return dockerBuild(ctx, dir, version)
}

// buildBinary compiles the module's main package for Linux without cgo.
func buildBinary(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", root, err, b)
	}
	return nil
}

// dockerBuild builds the Dockerfile's prebuilt target in dir, whose rootfs
// directory is the image's root filesystem, as imageRepo:version.
func dockerBuild(ctx context.Context, dir, version string) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer p.Close()

	rootfsArg := "rootfs"
	var log bytes.Buffer
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Dockerfile:     "Dockerfile",
		Repo:           imageRepo,
		Tag:            version,
		BuildArgs:      map[string]*string{"PREBUILT": &rootfsArg},
		BuildLogWriter: &log,
		KeepImage:      true,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Target = "prebuilt"
		},
	}}
	if _, err := p.BuildImage(ctx, req); err != nil {
		return fmt.Errorf("docker build --target prebuilt: %w\n%s", err, log.String())
	}
	return nil
}

// removeImage removes the image built by appImage, if any.
func removeImage() error {
	if image.tag == "" || image.err != nil {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("remove image %s: %w", image.tag, err)
	}
	defer p.Close()
	_, err = p.Client().ImageRemove(ctx, image.tag, client.ImageRemoveOptions{
		Force:         true,
		PruneChildren: true,
	})
	if err != nil {
		return fmt.Errorf("remove image %s: %w", image.tag, err)
	}
	return nil
}

// repoRoot is the module's directory: the parent of this package.
func repoRoot() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	return root, nil
}

// copyCABundle copies the host's CA bundle to dst.
func copyCABundle(dst string) error {
	for _, src := range caBundles {
		if _, err := os.Stat(src); err == nil {
			return copyFile(src, dst)
		}
	}
	return fmt.Errorf("no CA bundle on this host; looked at %v", caBundles)
}

// copyFile copies src to dst, creating dst's directory.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Close()
}
