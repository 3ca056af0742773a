package web

// Routes of this file:
//   GET /openapi.json   an OpenAPI 3 description of every route, errors included
//
// openapi_test.go checks the description against the router's routes, so
// that a route added without its description fails the tests.

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/compare"
)

func (h *handlers) registerOpenAPI(r *gin.Engine) {
	doc := h.openAPI()
	getAndHead(r, "/openapi.json", func(c *gin.Context) { c.JSON(http.StatusOK, doc) })
}

// Small builders of JSON Schema and OpenAPI objects.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
func str(desc string) obj { return obj{"type": "string", "description": desc} }
func integer(desc string) obj {
	return obj{"type": "integer", "format": "int64", "description": desc}
}
func number(desc string) obj  { return obj{"type": "number", "description": desc} }
func boolean(desc string) obj { return obj{"type": "boolean", "description": desc} }
func array(items obj) obj     { return obj{"type": "array", "items": items} }
func enum(desc string, values ...string) obj {
	return obj{"type": "string", "enum": values, "description": desc}
}

// object is a schema of an object with the properties, the required ones
// listed.
func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// jsonBody is a JSON request or response body of the schema.
func jsonBody(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

// errorResponse is an error answer: the Error body with the codes listed.
func errorResponse(codes ...backends.Code) obj {
	desc := "error"
	for i, c := range codes {
		if i == 0 {
			desc = "error: " + string(c)
		} else {
			desc += ", " + string(c)
		}
	}
	return jsonBody(desc, ref("Error"))
}

// pathParam is a parameter in the path.
func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc,
		"schema": obj{"type": "string"}}
}

// queryParamDoc is an optional query parameter.
func queryParamDoc(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc,
		"schema": schema}
}

// operation describes one method of one path. Errors are grouped by status
// from the codes, and every operation may answer internal (500).
func operation(tag, summary string, params []obj, body obj, ok obj, okStatus string,
	codes ...backends.Code) obj {
	responses := obj{okStatus: ok}
	byStatus := map[int][]backends.Code{}
	for _, c := range append(codes, backends.CodeInternal) {
		byStatus[StatusOf(c)] = append(byStatus[StatusOf(c)], c)
	}
	for status, cs := range byStatus {
		responses[strconv.Itoa(status)] = errorResponse(cs...)
	}
	op := obj{"tags": []string{tag}, "summary": summary, "responses": responses}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if body != nil {
		op["requestBody"] = body
	}
	return op
}

// Errors every route may answer before its handler runs.
var commonCodes = []backends.Code{CodeMethodNotAllowed}

// bodyCodes are the errors of a route that reads a body.
var bodyCodes = []backends.Code{backends.CodeInvalidInput, CodeBodyTooLarge}

// openAPI returns the description of every route of the router.
func (h *handlers) openAPI() obj {
	names := make([]string, 0, len(h.deps.Backends))
	for _, b := range h.deps.Backends {
		names = append(names, b.Name())
	}
	backendParam := pathParam("backend", "backend name: "+joinOr(names))
	idParam := pathParam("id", "counter id: 1 to 200 bytes of UTF-8, no control character")
	runParam := pathParam("id", "run id")
	with := func(codes ...backends.Code) []backends.Code { return append(codes, commonCodes...) }

	paths := obj{
		"/healthz": obj{"get": operation("health", "The process answers", nil, nil,
			jsonBody("ok", object(obj{"status": str("ok")})), "200", with()...)},
		"/readyz": obj{"get": operation("health", "Every backend answers", nil, nil,
			jsonBody("ready", object(obj{"status": str("ready"),
				"backends": obj{"type": "object",
					"additionalProperties": obj{"type": "boolean"}}})),
			"200", with(backends.CodeUnavailable)...)},
		"/metrics": obj{"get": operation("metrics",
			"Prometheus metrics: requests and latency per route, backend and strategy, "+
				"for the API and for runs", nil, nil,
			obj{"description": "Prometheus text format",
				"content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}},
			"200", with()...)},
		"/openapi.json": obj{"get": operation("meta", "This description", nil, nil,
			jsonBody("OpenAPI 3 document", obj{"type": "object"}), "200", with()...)},
		"/": obj{"get": operation("page", "The web page", nil, nil,
			obj{"description": "HTML",
				"content": obj{"text/html": obj{"schema": obj{"type": "string"}}}},
			"200", with(CodeNotFound)...)},
		"/static/{filepath}": obj{"get": operation("page", "The page's files", []obj{
			pathParam("filepath", "file name, e.g. app.js")}, nil,
			obj{"description": "the file"}, "200", with(CodeNotFound)...)},

		"/api/backends": obj{"get": operation("backends",
			"Each backend: target, client library, health and strategies", nil, nil,
			jsonBody("backends", object(obj{"backends": array(ref("Backend"))}, "backends")),
			"200", with()...)},

		"/api/counters/{backend}/{id}/increment": obj{"post": operation("counters",
			"Increment a counter with a strategy", []obj{backendParam, idParam,
				queryParamDoc("strategy", "strategy id; default: the backend's unconditional "+
					"strategy without max, its correct conditional one with max",
					obj{"type": "string"}),
				queryParamDoc("max", "bound of a conditional strategy, 1 to 2^53",
					obj{"type": "integer", "format": "int64"})},
			nil, jsonBody("the counter after this increment", ref("Increment")), "200",
			with(backends.CodeInvalidInput, CodeBodyTooLarge, backends.CodeUnknownBackend,
				backends.CodeLimitReached, backends.CodeConflict, backends.CodeNotInteger,
				backends.CodeOverflow, backends.CodeUnavailable, backends.CodeOutcomeUnknown)...)},
		"/api/counters/{backend}/{id}": obj{
			"get": operation("counters", "Read a counter (a missing one reads as 0)",
				[]obj{backendParam, idParam}, nil, jsonBody("the counter", ref("Counter")), "200",
				with(backends.CodeInvalidInput, backends.CodeUnknownBackend,
					backends.CodeNotInteger, backends.CodeUnavailable)...),
			"delete": operation("counters", "Delete a counter", []obj{backendParam, idParam},
				nil, obj{"description": "deleted (or there was none)"}, "204",
				with(backends.CodeInvalidInput, CodeBodyTooLarge, backends.CodeUnknownBackend,
					backends.CodeUnavailable, backends.CodeOutcomeUnknown)...),
		},

		"/api/runs": obj{
			"get": operation("runs", "The run limits, the run going and the runs kept", nil,
				nil, jsonBody("runs", ref("RunList")), "200", with()...),
			"post": operation("runs", "Start a comparison run (one at a time)", nil,
				jsonBody("the workload and strategies", ref("RunRequest")),
				jsonBody("the run, started; Location names it", ref("Run")), "202",
				with(append(bodyCodes, backends.CodeUnknownBackend, compare.CodeBusy)...)...),
		},
		"/api/runs/{id}": obj{
			"get": operation("runs", "A run's state and results", []obj{runParam}, nil,
				jsonBody("the run", ref("Run")), "200", with(CodeNotFound)...),
			"delete": operation("runs", "Cancel a run; a run already ended is left as it was",
				[]obj{runParam}, nil, jsonBody("the run after cancelling", ref("Run")), "200",
				with(CodeNotFound, backends.CodeInvalidInput, CodeBodyTooLarge)...),
		},
		"/api/runs/{id}/events": obj{"get": operation("runs",
			"Progress as server-sent events (run-started, strategy-started, progress, "+
				"strategy-finished, run-finished); each event's id is its seq, and "+
				"Last-Event-ID resumes after it", []obj{runParam,
				queryParamDoc("from", "first event number to send", obj{"type": "integer"}),
				{"name": "Last-Event-ID", "in": "header", "required": false,
					"description": "resume after this event", "schema": obj{"type": "integer"}}},
			nil, obj{"description": "event stream; each data line is an Event",
				"content": obj{"text/event-stream": obj{"schema": ref("Event")}}}, "200",
			with(CodeNotFound, backends.CodeInvalidInput)...)},
		"/api/runs/{id}/export.json": obj{"get": operation("runs", "The run as a JSON file",
			[]obj{runParam}, nil, jsonBody("the run", ref("Run")), "200", with(CodeNotFound)...)},
		"/api/runs/{id}/export.csv": obj{"get": operation("runs",
			"The results as CSV, one row per strategy", []obj{runParam}, nil,
			obj{"description": "CSV with a header row",
				"content": obj{"text/csv": obj{"schema": obj{"type": "string"}}}},
			"200", with(CodeNotFound)...)},
		"/api/runs/{id}/charts/{chart}": obj{"get": operation("runs",
			"A chart of the run, drawn on the server", []obj{runParam,
				pathParam("chart", "latency, throughput or outcomes, then .svg or .png"),
				queryParamDoc("theme", "light (default) or dark", enum("", compare.ThemeLight,
					compare.ThemeDark))}, nil,
			obj{"description": "the chart", "content": obj{
				"image/svg+xml": obj{"schema": obj{"type": "string"}},
				"image/png":     obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"200", with(CodeNotFound, backends.CodeInvalidInput)...)},

		"/api/faults": obj{
			"get": operation("faults", "The fault of each backend's embedded target", nil, nil,
				jsonBody("faults", object(obj{"backends": array(ref("FaultInfo"))})), "200",
				with()...),
			"delete": operation("faults", "Clear every fault", nil, nil,
				obj{"description": "cleared"}, "204", with(bodyCodes...)...),
		},
		"/api/faults/{backend}": obj{
			"put": operation("faults", "Set (replace) the fault of a backend's embedded target",
				[]obj{backendParam}, jsonBody("the fault", ref("Fault")),
				jsonBody("the backend's fault injection", ref("FaultInfo")), "200",
				with(append(bodyCodes, backends.CodeUnknownBackend,
					embedded.CodeNotEmbedded)...)...),
			"delete": operation("faults", "Clear the fault of a backend's embedded target",
				[]obj{backendParam}, nil, obj{"description": "cleared"}, "204",
				with(append(bodyCodes, backends.CodeUnknownBackend,
					embedded.CodeNotEmbedded)...)...),
		},
	}

	// Every GET route answers HEAD too, like GET without the body.
	for _, o := range paths {
		ops := o.(obj)
		if ops["get"] == nil {
			continue
		}
		head := obj{}
		for k, v := range ops["get"].(obj) {
			head[k] = v
		}
		head["summary"] = ops["get"].(obj)["summary"].(string) + " (headers only)"
		ops["head"] = head
	}

	for _, name := range names {
		paths["/"+name+"/{id}"] = obj{"post": operation("compatible",
			"Increment "+name+" counter id like the serverless original: conditional "+
				"(bounded by MAX_COUNTER_VALUE) when USE_CONDITIONAL_WRITES is true",
			[]obj{idParam}, nil, jsonBody("the counter", ref("CompatCounter")), "200",
			with(backends.CodeInvalidInput, CodeBodyTooLarge, backends.CodeLimitReached,
				backends.CodeConflict, backends.CodeNotInteger, backends.CodeOverflow,
				backends.CodeUnavailable, backends.CodeOutcomeUnknown)...)}
	}

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   "CounterLab",
			"version": "1",
			"description": "Atomic counters on Redis, DynamoDB and Momento, and a " +
				"comparison of their increment strategies. Every error is JSON: " +
				`{"error": code, "message": text, ...details}.`,
		},
		"paths":      paths,
		"components": obj{"schemas": schemas()},
	}
}

// errorCodes lists every code the API answers with, sorted.
func errorCodes() []string {
	var out []string
	for c := range Codes() {
		out = append(out, string(c))
	}
	sort.Strings(out)
	return out
}

// schemas are the bodies of the API.
func schemas() obj {
	var strategies []string
	for _, s := range backends.Strategies {
		strategies = append(strategies, s.Backend+"/"+s.ID)
	}
	var outcomes []string
	for _, o := range compare.Outcomes() {
		outcomes = append(outcomes, o.String())
	}
	outcomeCounts := obj{}
	for _, o := range outcomes {
		outcomeCounts[o] = integer("increments that ended " + o)
	}

	return obj{
		"Error": func() obj {
			o := object(obj{
				"error":   enum("stable error code", errorCodes()...),
				"message": str("what went wrong, in words"),
			}, "error", "message")
			o["additionalProperties"] = true
			return o
		}(),
		"Target": object(obj{
			"kind": enum("where the backend points",
				backends.KindEmbedded, backends.KindLocal, backends.KindCloud),
			"address": str("address, secrets redacted"),
			"library": str("client library and version"),
		}),
		"Strategy": object(obj{
			"backend": str(""), "id": str(""), "conditional": boolean(""),
			"default":    boolean("used when a request names none"),
			"roundTrips": integer("requests per attempt"),
			"correct":    boolean("false for a strategy kept to show that it loses updates"),
			"summary":    str(""),
		}),
		"Backend": object(obj{
			"name":   str(""),
			"target": ref("Target"),
			"health": object(obj{"ok": boolean(""), "error": str(""),
				"checkedAt": str("RFC 3339 time"), "latencyMs": number("")}),
			"strategies": array(ref("Strategy")),
		}),
		"Increment": object(obj{
			"backend": str(""), "strategy": str(""), "id": str(""),
			"value": integer("the counter after this increment"),
			"max": obj{"type": "integer", "nullable": true,
				"description": "null when unconditional"},
			"roundTrips": integer(""), "attempts": integer(""), "elapsedMs": number(""),
		}),
		"Counter": object(obj{"backend": str(""), "id": str(""), "value": integer(""),
			"exists": boolean("")}),
		"CompatCounter": object(obj{"counter": integer(""), "useConditionalWrites": boolean("")}),
		"RunRequest": object(obj{
			"strategies": obj{"type": "array", "items": enum("", strategies...),
				"description": "default: every strategy of the backends served, the " +
					"conditional ones only when max is set"},
			"workers":    integer("concurrent clients, default 16"),
			"increments": integer("increments per strategy, default 1000"),
			"keys":       integer("distinct counters, round robin; default 1 (one hot counter)"),
			"max":        integer("bound of the conditional strategies; required with them"),
			"durationSeconds": number("optional time cap per strategy; the run as a " +
				"whole is capped by the limit"),
		}),
		"RunList": object(obj{
			"limits": object(obj{"maxWorkers": integer(""), "maxIncrements": integer(""),
				"maxKeys": integer(""), "maxDurationSeconds": number("")}),
			"defaults": obj{"type": "object"},
			"active":   obj{"type": "string", "nullable": true, "description": "the run going"},
			"runs": array(object(obj{"id": str(""), "state": str(""),
				"createdAt": str(""), "percent": number("")})),
		}),
		"Run": object(obj{
			"id":         str(""),
			"state":      enum("", compare.StateRunning, compare.StateDone, compare.StateCancelled),
			"spec":       ref("RunRequest"),
			"createdAt":  str("RFC 3339 time"),
			"finishedAt": str("RFC 3339 time, once ended"),
			"percent":    number("share done, 0 to 100"),
			"current":    integer("index of the strategy running, -1 when none"),
			"results":    array(ref("Result")),
			"targets":    obj{"type": "object", "additionalProperties": ref("Target")},
		}),
		"Result": object(obj{
			"backend": str(""), "strategy": str(""), "conditional": boolean(""),
			"max": integer("0 when unconditional"),
			"status": enum("", compare.StatusPending, compare.StatusRunning, compare.StatusDone,
				compare.StatusCancelled, compare.StatusSkipped, compare.StatusFailed),
			"error":        str(""),
			"completed":    integer("increments ended, any outcome"),
			"stoppedEarly": boolean("the time cap stopped it"),
			"elapsedMs":    number(""),
			"throughput":   number("completed increments per second"),
			"latency": object(obj{"meanMs": number(""), "p50Ms": number(""),
				"p90Ms": number(""), "p99Ms": number(""), "p999Ms": number(""),
				"maxMs": number(""), "count": integer(""),
				"percentiles": array(object(obj{"percentile": number(""), "ms": number("")}))}),
			"roundTrips": number("mean per acknowledged increment"),
			"attempts":   number("mean per acknowledged increment"),
			"outcomes":   object(outcomeCounts),
			"final":      integer("value read back, summed over counters"),
			"verdict":    ref("Verdict"),
			"errors":     array(str("a distinct error met")),
		}),
		"Verdict": object(obj{
			"id": enum("", compare.VerdictCorrect, compare.VerdictLostUpdates,
				compare.VerdictExceededMax, compare.VerdictExtraUpdates,
				compare.VerdictInconclusive),
			"summary":  str("the verdict in words"),
			"problems": array(str("")),
			"evidence": object(obj{
				"acknowledged": integer(""), "unknown": integer(""), "final": integer(""),
				"finalKnown": boolean(""), "duplicateValues": integer(""), "lost": integer(""),
				"exceeded": integer(""), "extra": integer(""),
				"boundHolds":   boolean("acknowledged <= final <= acknowledged + unknown"),
				"keysAffected": integer(""),
			}),
		}),
		"Event": object(obj{
			"seq": integer(""),
			"type": enum("", compare.EventRunStarted, compare.EventStrategyStarted,
				compare.EventProgress, compare.EventStrategyFinished, compare.EventRunFinished),
			"time": str(""), "index": integer(""), "strategy": str(""),
			"percent": number(""), "strategyPercent": number(""), "state": str(""),
			"result": ref("Result"),
		}),
		"Fault": object(obj{
			"operation": str("one Redis command, DynamoDB operation or emulator RPC; " +
				"empty matches all"),
			"delayMs":   number("added to every matching request, 0 to 10000"),
			"failShare": number("share of matching requests that fail, 0 to 1"),
			"failure":   str("how they fail; see failures in GET /api/faults"),
		}),
		"FaultInfo": object(obj{
			"backend": str(""), "embedded": boolean(""),
			"fault":      obj{"allOf": []obj{ref("Fault")}, "nullable": true},
			"failures":   array(str("")),
			"operations": array(str("")),
		}),
	}
}

// joinOr lists names as "a, b or c".
func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " or " + names[len(names)-1]
}
