// Package dynamodb is the DynamoDB backend: one item per counter in one
// table, incremented with UpdateItem ADD, bounded by a condition expression.
// It talks to the target through aws-sdk-go-v2 with retries off for every
// item operation: an increment is never sent twice.
package dynamodb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/counterlab/counterlab/backends"
)

// EndpointAWS as Options.Endpoint selects the real service.
const EndpointAWS = "aws"

// Names in the table. The key is "id" (a string); the counter is "value", a
// reserved word in DynamoDB, so every expression names it through #c.
const (
	keyName     = "id"
	counterName = "value"
)

// Client library, shown by Target. pinnedVersion is used when the binary
// carries no build information.
const (
	libraryPath   = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	pinnedVersion = "v1.74.1"
)

// Timeouts of the HTTP client. A caller's context may end a request sooner.
const (
	dialTimeout    = 3 * time.Second
	requestTimeout = 10 * time.Second
	// startTimeout bounds New's attempt to create the table.
	startTimeout = 5 * time.Second
)

// Options configure a DynamoDB backend.
type Options struct {
	// Endpoint is the URL of a DynamoDB-compatible server, such as
	// http://127.0.0.1:8000, or "aws" for the real service in Region with the
	// default credential chain.
	Endpoint string
	// Region defaults to AWS_REGION for "aws", and to us-east-1 otherwise.
	Region string
	// Table is created when missing; empty means "counterlab-counters".
	Table string
	// Kind is the target kind reported by Target; empty means "cloud" for
	// "aws" and "local" otherwise.
	Kind string
	// Logger receives the backend's events; nil means slog.Default().
	Logger *slog.Logger
}

// Backend is the DynamoDB backend. It is safe for concurrent use.
type Backend struct {
	client *ddb.Client
	http   *http.Client
	table  string
	target backends.Target
	log    *slog.Logger

	// ready is set once the table is known to be active.
	ready atomic.Bool
	// creating lets one caller at a time check or create the table.
	creating chan struct{}
}

var _ backends.Backend = (*Backend)(nil)

// tableNamePattern is what DynamoDB accepts as a table name.
var tableNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// New returns a backend for the target in opts and tries once to create the
// table. A target that is down does not make New fail: the table is created
// by a later call, and Health reports the target unhealthy until then. New
// fails only on invalid options.
func New(ctx context.Context, opts Options) (*Backend, error) {
	if opts.Table == "" {
		opts.Table = backends.DefaultDynamoDBTable
	}
	if !tableNamePattern.MatchString(opts.Table) {
		return nil, fmt.Errorf("dynamodb table %q: want 3 to 255 letters, digits, _ . or -",
			opts.Table)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}

	b := &Backend{
		table:    opts.Table,
		log:      opts.Logger,
		creating: make(chan struct{}, 1),
		http:     newHTTPClient(),
	}
	cfg, address, err := b.awsConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	b.client = ddb.NewFromConfig(cfg, func(o *ddb.Options) {
		if opts.Endpoint != EndpointAWS {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.Retryer = aws.NopRetryer{}
	})

	b.target = backends.Target{
		Kind:    opts.Kind,
		Address: address,
		Library: backends.Library(libraryPath, pinnedVersion),
	}
	if b.target.Kind == "" {
		b.target.Kind = backends.KindLocal
		if opts.Endpoint == EndpointAWS {
			b.target.Kind = backends.KindCloud
		}
	}

	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := b.ensureTable(sctx); err != nil {
		b.log.WarnContext(ctx, "dynamodb table not ready; will try again on the next call",
			"address", address, "table", b.table, "error", err)
	}
	return b, nil
}

// newHTTPClient returns the HTTP client of the SDK, with bounded timeouts and
// enough idle connections for many concurrent callers.
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConns = 128
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr, Timeout: requestTimeout}
}

// awsConfig builds the SDK configuration and the address shown by Target.
func (b *Backend) awsConfig(ctx context.Context, opts Options) (aws.Config, string, error) {
	if opts.Endpoint == EndpointAWS {
		load := []func(*config.LoadOptions) error{config.WithHTTPClient(b.http)}
		if opts.Region != "" {
			load = append(load, config.WithRegion(opts.Region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, load...)
		if err != nil {
			return aws.Config{}, "", fmt.Errorf("dynamodb on AWS: load configuration: %w", err)
		}
		if cfg.Region == "" {
			return aws.Config{}, "", fmt.Errorf("dynamodb on AWS: no region (set AWS_REGION)")
		}
		return cfg, "https://dynamodb." + cfg.Region + ".amazonaws.com", nil
	}

	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return aws.Config{}, "", fmt.Errorf(
			"dynamodb endpoint %q: want an http:// or https:// URL, or %q",
			backends.RedactURL(opts.Endpoint), EndpointAWS)
	}
	region := opts.Region
	if region == "" {
		region = "us-east-1"
	}

	if os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_PROFILE") != "" {
		cfg, err := config.LoadDefaultConfig(ctx,
			config.WithRegion(region), config.WithHTTPClient(b.http))
		if err != nil {
			return aws.Config{}, "", fmt.Errorf("dynamodb: load AWS configuration: %w", err)
		}
		return cfg, backends.RedactURL(opts.Endpoint), nil
	}

	// A local server accepts any credentials; the SDK still signs requests.
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("counterlab", "counterlab", ""),
		HTTPClient:  b.http,
	}
	return cfg, backends.RedactURL(opts.Endpoint), nil
}

// Name returns "dynamodb".
func (b *Backend) Name() string { return backends.DynamoDB }

// Target describes where the backend points.
func (b *Backend) Target() backends.Target { return b.target }

// Health creates the table if an earlier attempt could not, then describes it.
func (b *Backend) Health(ctx context.Context) error {
	if err := b.ensureTable(ctx); err != nil {
		return backends.Wrap(backends.CodeUnavailable, err,
			"DynamoDB table %q at %s is not ready", b.table, b.target.Address)
	}
	if _, err := b.client.DescribeTable(ctx, &ddb.DescribeTableInput{
		TableName: aws.String(b.table),
	}); err != nil {
		b.forgetTable(err)
		return backends.Wrap(backends.CodeUnavailable, err,
			"DescribeTable %q at %s", b.table, b.target.Address)
	}
	return nil
}

// Close releases idle connections.
func (b *Backend) Close() error {
	b.http.CloseIdleConnections()
	return nil
}
