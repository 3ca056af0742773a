package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Waiting for a new table to become active.
const (
	waitMinDelay = 100 * time.Millisecond
	waitMaxDelay = 2 * time.Second
	waitMax      = 30 * time.Second
)

// withRetries lets the table operations retry, unlike the item operations:
// describing or creating a table twice does no harm.
func withRetries(o *ddb.Options) {
	o.Retryer = retry.NewStandard()
}

// ensureTable makes sure the table exists and is active, creating it when
// missing and waiting until it is active. Once it succeeded it returns at
// once, until forgetTable is called.
func (b *Backend) ensureTable(ctx context.Context) error {
	if b.ready.Load() {
		return nil
	}
	select {
	case b.creating <- struct{}{}:
		defer func() { <-b.creating }()
	case <-ctx.Done():
		return fmt.Errorf("wait for table %q: %w", b.table, ctx.Err())
	}
	if b.ready.Load() {
		return nil
	}

	out, err := b.client.DescribeTable(ctx,
		&ddb.DescribeTableInput{TableName: aws.String(b.table)}, withRetries)
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		status, err := b.createTable(ctx)
		if err != nil {
			return err
		}
		if active(status) {
			b.ready.Store(true)
			return nil
		}
	case err != nil:
		return fmt.Errorf("describe table %q: %w", b.table, err)
	default:
		if err := checkKey(out.Table); err != nil {
			return fmt.Errorf("table %q: %w", b.table, err)
		}
		if active(out.Table.TableStatus) {
			b.ready.Store(true)
			return nil
		}
	}

	w := ddb.NewTableExistsWaiter(b.client, func(o *ddb.TableExistsWaiterOptions) {
		o.MinDelay = waitMinDelay
		o.MaxDelay = waitMaxDelay
	})
	if err := w.Wait(ctx, &ddb.DescribeTableInput{TableName: aws.String(b.table)},
		waitMax); err != nil {
		return fmt.Errorf("wait for table %q to be active: %w", b.table, err)
	}
	b.ready.Store(true)
	b.log.InfoContext(ctx, "dynamodb table active", "table", b.table,
		"address", b.target.Address)
	return nil
}

// active reports whether a table in status can be used. minidyn reports no
// status at all: its tables are usable at once.
func active(status types.TableStatus) bool {
	return status == types.TableStatusActive || status == ""
}

// createTable sends CreateTable and returns the new table's status. A table
// created meanwhile by someone else is fine; its status is then unknown.
func (b *Backend) createTable(ctx context.Context) (types.TableStatus, error) {
	out, err := b.client.CreateTable(ctx, &ddb.CreateTableInput{
		TableName: aws.String(b.table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(keyName), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(keyName), KeyType: types.KeyTypeHash},
		},
		BillingMode: types.BillingModePayPerRequest,
	}, withRetries)
	var inUse *types.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		return types.TableStatusCreating, nil
	case err != nil:
		return "", fmt.Errorf("create table %q: %w", b.table, err)
	}
	b.log.InfoContext(ctx, "dynamodb table created", "table", b.table,
		"address", b.target.Address)
	if out.TableDescription == nil {
		return "", nil
	}
	return out.TableDescription.TableStatus, nil
}

// checkKey refuses a table whose key is not "id" (a string) alone.
func checkKey(t *types.TableDescription) error {
	if t == nil {
		return errors.New("no table description")
	}
	if len(t.KeySchema) != 1 || aws.ToString(t.KeySchema[0].AttributeName) != keyName ||
		t.KeySchema[0].KeyType != types.KeyTypeHash {
		return fmt.Errorf("its key is not the hash key %q alone; use another table", keyName)
	}
	for _, a := range t.AttributeDefinitions {
		name, typ := aws.ToString(a.AttributeName), a.AttributeType
		if name == keyName && typ != types.ScalarAttributeTypeS {
			return fmt.Errorf("its key %q is of type %s, not S; use another table",
				keyName, a.AttributeType)
		}
	}
	return nil
}

// forgetTable makes the next call check the table again when err says it
// is gone.
func (b *Backend) forgetTable(err error) {
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) && b.ready.CompareAndSwap(true, false) {
		b.log.Warn("dynamodb table not found; it will be created again", "table", b.table)
	}
}
