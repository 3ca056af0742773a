package compare

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleResults are results as a run gives them, made by hand.
func sampleResults() []Result {
	mk := func(backend, strategy string, tput float64, ok, limit, unknown int64,
		ms ...float64) Result {
		r := Result{Backend: backend, Strategy: strategy, Status: StatusDone,
			Throughput: tput, Completed: ok + limit + unknown,
			Outcomes: map[string]int64{"ok": ok, "limit_reached": limit,
				"outcome_unknown": unknown}}
		for i, m := range ms {
			r.Latency.Percentiles = append(r.Latency.Percentiles,
				Point{Percentile: chartPercentiles[i], Ms: m})
		}
		return r
	}
	return []Result{
		mk("redis", "incr", 9000, 500, 0, 0, 0.1, 0.2, 0.2, 0.3, 0.5, 0.8, 1.1),
		mk("dynamodb", "conditional", 2500, 100, 390, 10, 0.5, 0.7, 1, 1.2, 2, 4, 9, 30),
		mk("momento", "set-if-present-and-not-equal", 1200, 480, 20, 0, 1, 2, 3, 5),
		{Backend: "momento", Strategy: "set-if-equal", Status: StatusSkipped},
	}
}

func TestChartsRender(t *testing.T) {
	dir := os.Getenv("COUNTERLAB_ARTIFACTS_DIR")
	for _, name := range Charts() {
		for _, th := range []string{ThemeLight, ThemeDark} {
			svg, err := Chart(sampleResults(), name, FormatSVG, th)
			if err != nil {
				t.Fatalf("Chart(%s, svg, %s): %v", name, th, err)
			}
			if !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<?xml")) ||
				!bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("%s: got %.80q, want an SVG document", name, svg)
			}
			// Text is drawn as glyph paths or text; the strategy names must
			// be there either way in the latency legend.
			if name == ChartLatency && !bytes.Contains(svg, []byte("redis/incr")) {
				t.Errorf("latency SVG does not name redis/incr")
			}
			if bytes.Contains(svg, []byte("set-if-equal")) {
				t.Errorf("%s: a skipped strategy appears in the chart", name)
			}

			pngData, err := Chart(sampleResults(), name, FormatPNG, th)
			if err != nil {
				t.Fatalf("Chart(%s, png, %s): %v", name, th, err)
			}
			img, err := png.Decode(bytes.NewReader(pngData))
			if err != nil {
				t.Fatalf("%s: PNG does not decode: %v", name, err)
			}
			if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
				t.Errorf("%s: got a %dx%d PNG, want at least 600x300", name, b.Dx(), b.Dy())
			}
			if dir != "" {
				p := filepath.Join(dir, "chart-"+name+"-"+th+".png")
				if err := os.WriteFile(p, pngData, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("saved %s", p)
			}
		}
	}
}

func TestChartWithoutResults(t *testing.T) {
	for _, name := range Charts() {
		svg, err := Chart(nil, name, FormatSVG, ThemeLight)
		if err != nil {
			t.Fatalf("Chart(%s) without results: %v", name, err)
		}
		if !bytes.Contains(svg, []byte("no results yet")) {
			t.Errorf("%s without results: want the title to say so", name)
		}
	}
}

func TestChartRefusesBadRequests(t *testing.T) {
	tests := []struct{ name, format, theme, field string }{
		{"pie", FormatSVG, ThemeLight, "chart"},
		{ChartLatency, "gif", ThemeLight, "format"},
		{ChartLatency, FormatSVG, "sepia", "theme"},
	}
	for _, tt := range tests {
		_, err := Chart(sampleResults(), tt.name, tt.format, tt.theme)
		if err == nil || !strings.Contains(err.Error(), "invalid_input") {
			t.Errorf("Chart(%s, %s, %s): got %v, want invalid_input",
				tt.name, tt.format, tt.theme, err)
		}
	}
}
