package protocol

// Service names on the wire. They are Momento's, not this package's proto
// package: the emulator builds its grpc.ServiceDesc values by hand with them.
const (
	ScsService     = "cache_client.Scs"
	PingService    = "cache_client.Ping"
	ControlService = "control_client.ScsControl"
)

// ScsMethods lists every method of cache_client.Scs in the Momento Go SDK
// v1.38.0, in the order of its service definition.
var ScsMethods = []string{
	"Get", "GetWithHash", "GetBatch", "Set", "SetBatch", "SetIf", "SetIfHash",
	"SetIfNotExists", "Delete", "KeysExist", "Increment", "UpdateTtl",
	"ItemGetTtl", "ItemGetType",
	"DictionaryGet", "DictionaryFetch", "DictionarySet", "DictionaryIncrement",
	"DictionaryDelete", "DictionaryLength",
	"SetFetch", "SetSample", "SetUnion", "SetDifference", "SetContains",
	"SetLength", "SetPop",
	"ListPushFront", "ListPushBack", "ListPopFront", "ListPopBack", "ListErase",
	"ListRemove", "ListFetch", "ListLength", "ListConcatenateFront",
	"ListConcatenateBack", "ListRetain",
	"SortedSetPut", "SortedSetFetch", "SortedSetGetScore", "SortedSetRemove",
	"SortedSetIncrement", "SortedSetGetRank", "SortedSetLength",
	"SortedSetLengthByScore", "SortedSetUnionStore",
}

// PingMethods lists every method of cache_client.Ping.
var PingMethods = []string{"Ping"}

// ControlMethods lists every method of control_client.ScsControl in the
// Momento Go SDK v1.38.0, in the order of its service definition.
var ControlMethods = []string{
	"CreateCache", "DeleteCache", "ListCaches", "FlushCache",
	"CreateSigningKey", "RevokeSigningKey", "ListSigningKeys",
	"CreateIndex", "DeleteIndex", "ListIndexes",
	"CreateStore", "DeleteStore", "ListStores",
}

// ServerStreaming names the methods that answer with a stream of messages.
var ServerStreaming = map[string]bool{
	ScsService + "/GetBatch": true,
	ScsService + "/SetBatch": true,
}
