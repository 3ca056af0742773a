package momento

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/momentohq/client-sdk-go/config/logger"
)

// sdkLoggerFactory hands the SDK loggers that write to slog: its warnings
// at debug level (it warns on every failed cache creation, which we log
// ourselves) and its errors as warnings. Its trace, debug and info lines are
// dropped: they repeat every setting at start-up, including part of the API
// key.
type sdkLoggerFactory struct{ log *slog.Logger }

// GetLogger returns the logger for one SDK component.
func (f sdkLoggerFactory) GetLogger(name string) logger.MomentoLogger {
	return sdkLogger{log: f.log.With("component", "momento-sdk", "logger", name)}
}

// String names the factory in the SDK's own descriptions of its settings.
func (f sdkLoggerFactory) String() string { return "slog" }

type sdkLogger struct{ log *slog.Logger }

func (sdkLogger) Trace(string, ...any) {}
func (sdkLogger) Debug(string, ...any) {}
func (sdkLogger) Info(string, ...any)  {}

func (l sdkLogger) Warn(message string, args ...any) {
	l.log.Debug(sdkMessage(message, args))
}

func (l sdkLogger) Error(message string, args ...any) {
	l.log.Warn(sdkMessage(message, args))
}

// sdkMessage formats an SDK log line: most are printf-style, a few pass
// plain values after the message.
func sdkMessage(message string, args []any) string {
	if len(args) == 0 {
		return message
	}
	if strings.Contains(message, "%") {
		return fmt.Sprintf(message, args...)
	}
	return strings.TrimSpace(message + " " + fmt.Sprint(args...))
}
