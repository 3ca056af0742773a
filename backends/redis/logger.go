package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// routeLibraryLog sends go-redis's own messages (dial failures while a target
// is down, pool events) through slog at debug level instead of the standard
// logger. go-redis has one logger per process, so the first backend's logger
// takes it.
var routeLibraryLog sync.Once

// libraryLogger adapts slog to go-redis's logging interface.
type libraryLogger struct{ log *slog.Logger }

// Printf logs one go-redis message at debug level.
func (l libraryLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis", "message", fmt.Sprintf(format, v...))
}

func useLibraryLogger(log *slog.Logger) {
	routeLibraryLog.Do(func() { goredis.SetLogger(libraryLogger{log: log}) })
}
