package dynamodb

import (
	"context"
	"errors"
	"math"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/counterlab/counterlab/backends"
)

// Expressions. #c is the counter attribute; DynamoDB would refuse its name
// ("value" is a reserved word) written out.
const (
	addOne = "ADD #c :one"
	// belowTop keeps add from pushing a counter past the int64 range, which
	// DynamoDB numbers (38 digits) would allow.
	belowTop = "attribute_not_exists(#c) OR #c < :top"
	// belowMax is the condition of the conditional strategy.
	belowMax = "attribute_not_exists(#c) OR #c < :max"
)

var counterNames = map[string]string{"#c": counterName}

// Increment adds one to counter id with strategy add (max must be 0) or
// conditional (max from 1 to backends.MaxLimit). An empty strategy picks the
// default. Both send one UpdateItem.
func (b *Backend) Increment(
	ctx context.Context, strategy, id string, max int64,
) (backends.Result, error) {
	s, err := backends.CheckIncrement(backends.DynamoDB, strategy, id, max, backends.MaxLimit)
	if err != nil {
		return backends.Result{}, err
	}
	if err := checkID(id); err != nil {
		return backends.Result{}, err
	}
	if err := b.ensureTable(ctx); err != nil {
		return backends.Result{}, backends.Wrap(backends.CodeUnavailable, err,
			"increment of counter %q: the table is not ready; nothing was applied", id)
	}

	in := &ddb.UpdateItemInput{
		TableName:                           aws.String(b.table),
		Key:                                 b.key(id),
		UpdateExpression:                    aws.String(addOne),
		ExpressionAttributeNames:            counterNames,
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	one := &types.AttributeValueMemberN{Value: "1"}
	if s.Conditional {
		bound := &types.AttributeValueMemberN{Value: strconv.FormatInt(max, 10)}
		in.ConditionExpression = aws.String(belowMax)
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":one": one, ":max": bound}
	} else {
		bound := &types.AttributeValueMemberN{Value: strconv.FormatInt(math.MaxInt64, 10)}
		in.ConditionExpression = aws.String(belowTop)
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":one": one, ":top": bound}
	}

	tctx, sent := traced(ctx)
	out, err := b.client.UpdateItem(tctx, in)
	if err != nil {
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			return backends.Result{}, b.conditionFailed(ctx, id, s, max, failed)
		}
		if e := b.refusedValue(ctx, id, err); e != nil {
			return backends.Result{}, e
		}
		b.forgetTable(err)
		return backends.Result{}, classify(err, sent.Load(),
			"UpdateItem of counter %q in table %q", id, b.table)
	}

	n, ok := integer(out.Attributes[counterName])
	if !ok {
		// Only a number with a fraction, written by someone else, gets here:
		// a condition expression cannot test for one (see the README).
		return backends.Result{}, backends.Errorf(backends.CodeNotInteger,
			"counter %q holds a number that is not an integer; DynamoDB added 1 to it, "+
				"giving %s", id, describe(out.Attributes[counterName]))
	}
	return backends.Result{Value: n, RoundTrips: 1, Attempts: 1}, nil
}

// conditionFailed tells why a condition failed from the item as it was,
// which the server returns with the failure (ALL_OLD). A server that does
// not (dynalite) costs one more read.
func (b *Backend) conditionFailed(
	ctx context.Context, id string, s backends.Strategy, max int64,
	failed *types.ConditionalCheckFailedException,
) error {
	item := failed.Item
	if len(item) == 0 { // an item always has its key: the server sent none
		b.log.DebugContext(ctx, "dynamodb sent no item with the failed condition; reading it",
			"table", b.table, "id", id)
		out, err := b.client.GetItem(ctx, &ddb.GetItemInput{
			TableName:      aws.String(b.table),
			Key:            b.key(id),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			// The condition failed, so nothing was applied; only the reason
			// is unknown.
			return backends.Wrap(backends.CodeUnavailable, err,
				"increment of counter %q: the condition failed (nothing was applied) "+
					"and reading the counter back to tell why failed", id)
		}
		item = out.Item
	}

	v, present := item[counterName]
	n, isInt := integer(v)
	switch {
	case present && !isInt:
		return backends.Wrap(backends.CodeNotInteger, failed,
			"counter %q holds %s, not an integer; it was left unchanged", id, describe(v))
	case s.Conditional && isInt && n >= max:
		return backends.Wrap(backends.CodeLimitReached, failed,
			"counter %q is at or above max %d", id, max).With("max", max)
	case !s.Conditional && isInt && n == math.MaxInt64:
		return backends.Wrap(backends.CodeOverflow, failed,
			"counter %q is at the largest 64-bit integer; it was left unchanged", id)
	}
	// Only a concurrent change between the failure and the read-back gets here.
	return backends.Wrap(backends.CodeConflict, failed,
		"increment of counter %q: the condition failed but the counter now reads %s; "+
			"nothing was applied", id, describe(v))
}

// refusedValue returns not_integer when err is a ValidationException and
// the counter holds something other than an integer: ADD on a string is
// refused, and some servers (minidyn) refuse comparing a string with a
// number where DynamoDB finds the condition false. It returns nil otherwise.
func (b *Backend) refusedValue(ctx context.Context, id string, err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		return nil
	}
	out, rerr := b.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(b.table),
		Key:            b.key(id),
		ConsistentRead: aws.Bool(true),
	})
	if rerr != nil {
		return nil
	}
	v, present := out.Item[counterName]
	if _, isInt := integer(v); !present || isInt {
		return nil
	}
	return backends.Wrap(backends.CodeNotInteger, err,
		"counter %q holds %s, not an integer; it was left unchanged", id, describe(v))
}

// Get reads counter id with a strongly consistent GetItem.
func (b *Backend) Get(ctx context.Context, id string) (backends.Reading, error) {
	if err := checkID(id); err != nil {
		return backends.Reading{}, err
	}
	if err := b.ensureTable(ctx); err != nil {
		return backends.Reading{}, backends.Wrap(backends.CodeUnavailable, err,
			"read of counter %q: the table is not ready", id)
	}

	tctx, sent := traced(ctx)
	out, err := b.client.GetItem(tctx, &ddb.GetItemInput{
		TableName:                aws.String(b.table),
		Key:                      b.key(id),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#c"),
		ExpressionAttributeNames: counterNames,
	})
	if err != nil {
		b.forgetTable(err)
		return backends.Reading{}, readFailed(classify(err, sent.Load(),
			"GetItem of counter %q in table %q", id, b.table))
	}

	v, ok := out.Item[counterName]
	if !ok {
		return backends.Reading{}, nil
	}
	n, ok := integer(v)
	if !ok {
		return backends.Reading{}, backends.Errorf(backends.CodeNotInteger,
			"counter %q holds %s, not an integer", id, describe(v))
	}
	return backends.Reading{Value: n, Exists: true}, nil
}

// Reset deletes the item of counter id.
func (b *Backend) Reset(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := b.ensureTable(ctx); err != nil {
		return backends.Wrap(backends.CodeUnavailable, err,
			"reset of counter %q: the table is not ready; nothing was applied", id)
	}

	tctx, sent := traced(ctx)
	_, err := b.client.DeleteItem(tctx, &ddb.DeleteItemInput{
		TableName: aws.String(b.table),
		Key:       b.key(id),
	})
	if err != nil {
		b.forgetTable(err)
		return classify(err, sent.Load(), "DeleteItem of counter %q in table %q", id, b.table)
	}
	return nil
}

// key is the primary key of counter id.
func (b *Backend) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{keyName: &types.AttributeValueMemberS{Value: id}}
}

// integer returns v as an int64 if it is a number without a fraction.
func integer(v types.AttributeValue) (int64, bool) {
	num, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(num.Value, 10, 64)
	return n, err == nil
}

// describe shows an attribute value in errors: its type and, for scalars,
// the value.
func describe(v types.AttributeValue) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case *types.AttributeValueMemberN:
		return "the number " + t.Value
	case *types.AttributeValueMemberS:
		return strconv.Quote(t.Value) + " (a string)"
	case *types.AttributeValueMemberBOOL:
		return strconv.FormatBool(t.Value) + " (a boolean)"
	default:
		return "a value of another type"
	}
}

// maxIDBytes is the largest partition key DynamoDB accepts.
const maxIDBytes = 2048

// checkID refuses an id DynamoDB cannot store as a key.
func checkID(id string) error {
	if id == "" {
		return backends.Errorf(backends.CodeInvalidInput, "empty counter id")
	}
	if len(id) > maxIDBytes {
		return backends.Errorf(backends.CodeInvalidInput,
			"counter id of %d bytes: DynamoDB keys take at most %d", len(id), maxIDBytes)
	}
	return nil
}
