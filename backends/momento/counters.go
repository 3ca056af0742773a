package momento

import (
	"context"
	"errors"
	"strconv"

	sdk "github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/backends"
)

// Get reads counter id. A missing counter reads as 0, Exists false; a value
// that is not an integer is a not_integer error.
func (b *Backend) Get(ctx context.Context, id string) (backends.Reading, error) {
	if id == "" {
		return backends.Reading{}, backends.Errorf(backends.CodeInvalidInput, "empty counter id")
	}
	if err := b.ensureCache(ctx); err != nil {
		return backends.Reading{}, err
	}

	n, found, _, err := b.read(ctx, id)
	if err != nil {
		return backends.Reading{}, err
	}
	return backends.Reading{Value: n, Exists: found}, nil
}

// Reset deletes counter id. Deleting a missing counter is not an error.
func (b *Backend) Reset(ctx context.Context, id string) error {
	if id == "" {
		return backends.Errorf(backends.CodeInvalidInput, "empty counter id")
	}
	if err := b.ensureCache(ctx); err != nil {
		return err
	}

	_, err := b.client.Delete(ctx, &sdk.DeleteRequest{CacheName: b.cache, Key: b.key(id)})
	if err != nil {
		// A delete that timed out may have happened: report it as a write.
		return b.mapError(err, phaseWrite, "delete %q", id)
	}
	return nil
}

// read gets counter id: its value, whether it exists and the stored bytes,
// which set-if-equal compares against.
func (b *Backend) read(ctx context.Context, id string) (int64, bool, []byte, error) {
	resp, err := b.client.Get(ctx, &sdk.GetRequest{CacheName: b.cache, Key: b.key(id)})
	if err != nil {
		return 0, false, nil, b.mapError(err, phaseRead, "get %q", id)
	}

	switch r := resp.(type) {
	case *responses.GetMiss:
		return 0, false, nil, nil
	case *responses.GetHit:
		raw := r.ValueByte()
		n, err := parseCounter(id, raw)
		return n, true, raw, err
	default:
		return 0, false, nil, backends.Errorf(backends.CodeInternal,
			"get %q: unexpected response %T", id, resp)
	}
}

// parseCounter reads a stored value as a base-10 int64. Anything else,
// including integers beyond the int64 range, is not_integer, as it is for
// Momento's Increment.
func parseCounter(id string, raw []byte) (int64, error) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err == nil {
		return n, nil
	}

	shown := raw
	if len(shown) > 40 {
		shown = shown[:40]
	}
	what := "which is not an integer"
	if errors.Is(err, strconv.ErrRange) {
		what = "an integer outside the int64 range"
	}
	return 0, backends.Wrap(backends.CodeNotInteger, err,
		"counter %q holds %q, %s; it is left unchanged", id, shown, what)
}
