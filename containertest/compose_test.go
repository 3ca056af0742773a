package containertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/internal/testenv"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"go.yaml.in/yaml/v3"
)

// composeVars are the variables docker-compose.yml reads, and the ones that
// steer compose itself. The tests start from an environment without them so
// a developer's shell does not change what they check.
var composeVars = []string{
	"COUNTERLAB_IMAGE", "COUNTERLAB_HOST", "COUNTERLAB_PORT", "COUNTERLAB_MOMENTO_LOCAL_PORT",
	"REDIS_URL", "REDIS_IMAGE",
	"DYNAMODB_ENDPOINT", "DYNAMODB_TABLE", "DYNAMODB_IMAGE", "DYNAMODB_COMMAND",
	"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"MOMENTO_ENDPOINT", "MOMENTO_API_KEY", "MOMENTO_CACHE",
	"MOMENTO_LOCAL_IMAGE", "MOMENTO_LOCAL_PORT",
	"GO_IMAGE",
	"COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "COMPOSE_PATH_SEPARATOR",
}

// officialDynamoDBImage is the compose file's default DynamoDB image, the one
// its default command is for.
const officialDynamoDBImage = "amazon/dynamodb-local"

// compose is one compose implementation: `docker compose` (v2) or
// `docker-compose` (1.x).
type compose struct {
	name string
	argv []string
}

// composeCommands lists the compose implementations on this machine.
func composeCommands() []compose {
	candidates := []compose{
		{"docker compose", []string{"docker", "compose"}},
		{"docker-compose", []string{"docker-compose"}},
	}
	var out []compose
	for _, c := range candidates {
		args := append(slices.Clone(c.argv[1:]), "version")
		if exec.Command(c.argv[0], args...).Run() == nil {
			out = append(out, c)
		}
	}
	return out
}

// composeOrSkip returns the compose implementations, skipping or failing t
// when there is none.
func composeOrSkip(t *testing.T) []compose {
	t.Helper()
	cs := composeCommands()
	if len(cs) == 0 {
		testenv.Unavailable(t, "neither `docker compose` nor `docker-compose` runs")
	}
	return cs
}

// project is one use of docker-compose.yml with its own variables.
type project struct {
	compose compose
	file    string
	name    string // the project name, -p; empty for none
	vars    map[string]string
}

func newProject(t *testing.T, c compose, name string, vars map[string]string) *project {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return &project{
		compose: c,
		file:    filepath.Join(root, "docker-compose.yml"),
		name:    name,
		vars:    vars,
	}
}

// run runs one compose command and returns its standard output.
func (p *project) run(ctx context.Context, args ...string) (string, error) {
	argv := slices.Clone(p.compose.argv)
	argv = append(argv, "-f", p.file)
	if p.name != "" {
		argv = append(argv, "-p", p.name)
	}
	argv = append(argv, args...)

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = p.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s: %w\n%s%s",
			strings.Join(argv, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// environ is this process's environment without composeVars, plus p.vars.
func (p *project) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(composeVars, name) {
			env = append(env, kv)
		}
	}
	for k, v := range p.vars {
		env = append(env, k+"="+v)
	}
	return env
}

// renderedService is the part of a service that the tests read from
// `compose config`.
type renderedService struct {
	Image       string            `yaml:"image"`
	Command     any               `yaml:"command"`
	Environment map[string]any    `yaml:"environment"`
	Profiles    []string          `yaml:"profiles"`
	DependsOn   map[string]depend `yaml:"depends_on"`
	Healthcheck *struct {
		Test any `yaml:"test"`
	} `yaml:"healthcheck"`
	Build *struct {
		Context string            `yaml:"context"`
		Args    map[string]string `yaml:"args"`
	} `yaml:"build"`
}

type depend struct {
	Condition string `yaml:"condition"`
}

// args is the service's command as a list, whichever form compose printed.
func (s renderedService) args() []string {
	switch c := s.Command.(type) {
	case string:
		return strings.Fields(c)
	case []any:
		out := make([]string, len(c))
		for i, v := range c {
			out[i] = fmt.Sprint(v)
		}
		return out
	}
	return nil
}

// env is one variable of the service's environment, "" when unset.
func (s renderedService) env(name string) string {
	if v, ok := s.Environment[name]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// config renders the file with `compose config` and decodes its services.
func (p *project) config(t *testing.T) map[string]renderedService {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := p.run(ctx, "config")
	if err != nil {
		t.Fatal(err)
	}

	var doc struct {
		Services map[string]renderedService `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode `%s config`: %v\n%s", p.compose.name, err, out)
	}
	return doc.Services
}

// TestComposeConfig renders docker-compose.yml with every compose
// implementation on this machine, with its defaults and with the variables CI
// and the README use, and checks the wiring that makes the page show three
// local targets.
func TestComposeConfig(t *testing.T) {
	for _, c := range composeOrSkip(t) {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			t.Run("defaults", func(t *testing.T) { checkDefaultConfig(t, c) })
			t.Run("substituted", func(t *testing.T) { checkSubstitutedConfig(t, c) })
			t.Run("real-momento", func(t *testing.T) {
				svcs := newProject(t, c, "", map[string]string{
					"MOMENTO_ENDPOINT":  "",
					"DYNAMODB_ENDPOINT": "aws",
				}).config(t)
				app := svcs["app"]
				if got := app.env("MOMENTO_ENDPOINT"); got != "" {
					t.Errorf("MOMENTO_ENDPOINT set empty: app gets %q, want empty", got)
				}
				if got := app.env("DYNAMODB_ENDPOINT"); got != "aws" {
					t.Errorf("DYNAMODB_ENDPOINT=aws: app gets %q, want aws", got)
				}
			})
		})
	}
}

func checkDefaultConfig(t *testing.T, c compose) {
	svcs := newProject(t, c, "", nil).config(t)

	names := make([]string, 0, len(svcs))
	for n := range svcs {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"app", "app-momento-local", "dynamodb", "momento", "momento-local", "redis"}
	if !slices.Equal(names, want) {
		t.Fatalf("services: got %v, want %v", names, want)
	}

	images := map[string]string{
		"app":               "counterlab:latest",
		"momento":           "counterlab:latest",
		"app-momento-local": "counterlab:latest",
		"redis":             "redis:7-alpine",
		"dynamodb":          officialDynamoDBImage,
		"momento-local":     "gomomento/momento-local",
	}
	for name, img := range images {
		if got := svcs[name].Image; got != img {
			t.Errorf("%s image: got %q, want %q", name, got, img)
		}
	}
	goImage := dockerfileArg(t, "GO_IMAGE")
	for _, name := range []string{"app", "momento", "app-momento-local"} {
		b := svcs[name].Build
		if b == nil {
			t.Errorf("%s: no build section, want the Dockerfile built", name)
			continue
		}
		if got := b.Args["GO_IMAGE"]; got != goImage {
			t.Errorf("%s build arg GO_IMAGE: got %q, want the Dockerfile's %q", name, got, goImage)
		}
	}

	if got, want := svcs["dynamodb"].args(),
		[]string{"-jar", "DynamoDBLocal.jar", "-inMemory", "-sharedDb"}; !slices.Equal(got, want) {
		t.Errorf("dynamodb command: got %q, want %q", got, want)
	}
	if got, want := svcs["momento"].args(),
		[]string{"emulator", "--addr", "0.0.0.0:8080"}; !slices.Equal(got, want) {
		t.Errorf("momento command: got %q, want %q", got, want)
	}

	app := svcs["app"]
	wantEnv := map[string]string{
		"COUNTERLAB_ADDR":   "0.0.0.0:8080",
		"REDIS_URL":         "redis://redis:6379",
		"DYNAMODB_ENDPOINT": "http://dynamodb:8000",
		"MOMENTO_ENDPOINT":  "momento:8080",
		"MOMENTO_API_KEY":   "",
	}
	for k, v := range wantEnv {
		if got := app.env(k); got != v {
			t.Errorf("app %s: got %q, want %q", k, got, v)
		}
	}
	if got := svcs["app-momento-local"].env("MOMENTO_ENDPOINT"); got != "momento-local:8080" {
		t.Errorf("app-momento-local MOMENTO_ENDPOINT: got %q, want momento-local:8080", got)
	}

	wantDeps := map[string]string{
		"redis":    "service_healthy",
		"momento":  "service_healthy",
		"dynamodb": "service_started",
	}
	for dep, cond := range wantDeps {
		if got := app.DependsOn[dep].Condition; got != cond {
			t.Errorf("app depends on %s: got condition %q, want %q", dep, got, cond)
		}
	}

	for _, name := range []string{"app", "redis", "momento", "app-momento-local"} {
		if svcs[name].Healthcheck == nil || svcs[name].Healthcheck.Test == nil {
			t.Errorf("%s: no health check", name)
		}
	}
	for name, s := range svcs {
		profiled := strings.Contains(name, "momento-local")
		if got := slices.Equal(s.Profiles, []string{"momento-local"}); got != profiled {
			t.Errorf("%s profiles: got %q, want momento-local only: %v", name, s.Profiles, profiled)
		}
	}
}

func checkSubstitutedConfig(t *testing.T, c compose) {
	vars := map[string]string{
		"COUNTERLAB_IMAGE":    "counterlab-test:substituted",
		"REDIS_IMAGE":         "local/redis:7",
		"DYNAMODB_IMAGE":      "local/dynamodb:1",
		"DYNAMODB_COMMAND":    "--port 8000",
		"MOMENTO_LOCAL_IMAGE": "local/momento-local:1",
		"GO_IMAGE":            "local/go:1.26",
	}
	svcs := newProject(t, c, "", vars).config(t)

	if b := svcs["app"].Build; b == nil || b.Args["GO_IMAGE"] != vars["GO_IMAGE"] {
		t.Errorf("app build: got %+v, want arg GO_IMAGE=%s", b, vars["GO_IMAGE"])
	}

	images := map[string]string{
		"app":           vars["COUNTERLAB_IMAGE"],
		"momento":       vars["COUNTERLAB_IMAGE"],
		"redis":         vars["REDIS_IMAGE"],
		"dynamodb":      vars["DYNAMODB_IMAGE"],
		"momento-local": vars["MOMENTO_LOCAL_IMAGE"],
	}
	for name, img := range images {
		if got := svcs[name].Image; got != img {
			t.Errorf("%s image: got %q, want %q", name, got, img)
		}
	}
	if got, want := svcs["dynamodb"].args(), []string{"--port", "8000"}; !slices.Equal(got, want) {
		t.Errorf("dynamodb command: got %q, want %q", got, want)
	}

	vars = map[string]string{"DYNAMODB_COMMAND": ""}
	svcs = newProject(t, c, "", vars).config(t)
	if got := svcs["dynamodb"].args(); len(got) != 0 {
		t.Errorf("DYNAMODB_COMMAND empty: got command %q, want none (the image's own)", got)
	}
}

// TestComposeSmoke brings the whole stack up with this run's image and CI's
// images put in through the variables, waits for the app's health check,
// increments on each backend through the published port, checks that
// /api/backends reports three healthy local targets, and tears it all down,
// also when the test fails.
func TestComposeSmoke(t *testing.T) {
	c := composeOrSkip(t)[0]
	tag := appImage(t)

	port := freePort(t)
	vars := map[string]string{
		"COUNTERLAB_IMAGE": tag,
		"COUNTERLAB_PORT":  strconv.Itoa(port),
		"REDIS_IMAGE":      testenv.RedisImage(),
		"DYNAMODB_IMAGE":   testenv.DynamoDBImage(),
	}
	if testenv.DynamoDBImage() != officialDynamoDBImage {
		// Another DynamoDB-compatible server: run its image's own command.
		vars["DYNAMODB_COMMAND"] = ""
	}
	name := fmt.Sprintf("counterlab-smoke-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	p := newProject(t, c, name, vars)

	t.Cleanup(func() { p.down(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := p.run(ctx, "up", "-d", "--no-build"); err != nil {
		t.Fatalf("compose up: %v", err)
	}

	p.waitHealthy(t, ctx, "app")
	ids, err := p.run(ctx, "ps", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(strings.Fields(ids)); got != 4 {
		t.Errorf("containers running: got %d, want 4 (app, redis, dynamodb, momento)", got)
	}

	a := newAPI(fmt.Sprintf("http://127.0.0.1:%d", port))
	list := waitForLocalBackends(t, a, 90*time.Second)
	for _, b := range list {
		for want := int64(1); want <= 2; want++ {
			got, err := a.increment(ctx, b.Name, "", "smoke", 0)
			if err != nil {
				t.Fatalf("increment %s: %v", b.Name, err)
			}
			if got.Value != want {
				t.Errorf("increment %s: got value %d, want %d", b.Name, got.Value, want)
			}
		}
	}
	list, err = a.backends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if problem := localBackendsProblem(list); problem != "" {
		t.Errorf("after the increments: %s", problem)
	}
}

// waitHealthy waits until the service's container reports healthy.
func (p *project) waitHealthy(t *testing.T, ctx context.Context, service string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	docker, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("docker provider: %v", err)
	}
	defer docker.Close()

	var status container.HealthStatus
	for {
		out, err := p.run(ctx, "ps", "-q", service)
		if id := strings.TrimSpace(out); err == nil && id != "" {
			var res client.ContainerInspectResult
			res, err = docker.Client().ContainerInspect(ctx, id, client.ContainerInspectOptions{})
			if err == nil && res.Container.State != nil && res.Container.State.Health != nil {
				status = res.Container.State.Health.Status
			}
		}
		if err == nil && status == container.Healthy {
			return
		}

		select {
		case <-ctx.Done():
			t.Fatalf("%s not healthy: status %q, last error %v", service, status, err)
		case <-time.After(time.Second):
		}
	}
}

// down prints the stack's logs when t failed, then removes its containers,
// networks and volumes.
func (p *project) down(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if t.Failed() {
		out, err := p.run(ctx, "logs", "--no-color", "--tail", "200")
		t.Logf("compose logs (err %v):\n%s", err, out)
	}
	if _, err := p.run(ctx, "down", "-v", "--remove-orphans", "-t", "5"); err != nil {
		t.Errorf("compose down: %v", err)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dockerfileArg is the default of a global ARG of the project's Dockerfile.
func dockerfileArg(t *testing.T, name string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ARG "+name+"="); ok {
			return v
		}
	}
	t.Fatalf("the Dockerfile has no ARG %s=...", name)
	return ""
}
