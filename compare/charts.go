package compare

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/counterlab/counterlab/backends"
)

// Chart names.
const (
	ChartLatency    = "latency"
	ChartThroughput = "throughput"
	ChartOutcomes   = "outcomes"
)

// Charts lists the chart names.
func Charts() []string { return []string{ChartLatency, ChartThroughput, ChartOutcomes} }

// Chart formats and themes.
const (
	FormatSVG  = "svg"
	FormatPNG  = "png"
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// Chart size.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4.5 * vg.Inch
)

// theme holds the colours of one chart theme.
type theme struct {
	background, text, grid color.Color
}

var themes = map[string]theme{
	ThemeLight: {
		background: color.White,
		text:       color.RGBA{0x1f, 0x23, 0x28, 0xff},
		grid:       color.RGBA{0xd0, 0xd7, 0xde, 0xff},
	},
	ThemeDark: {
		background: color.RGBA{0x16, 0x1b, 0x22, 0xff},
		text:       color.RGBA{0xe6, 0xed, 0xf3, 0xff},
		grid:       color.RGBA{0x30, 0x36, 0x3d, 0xff},
	},
}

// strategyColors is the Okabe-Ito palette, readable by colour-blind people,
// in the order of backends.Strategies.
var strategyColors = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0x99, 0x99, 0x99, 0xff}, // grey
}

// outcomeColors colour the outcomes.
var outcomeColors = [numOutcomes]color.RGBA{
	{0x00, 0x9e, 0x73, 0xff}, // ok: green
	{0x56, 0xb4, 0xe9, 0xff}, // limit_reached: sky blue
	{0xe6, 0x9f, 0x00, 0xff}, // conflict: orange
	{0xd5, 0x5e, 0x00, 0xff}, // unavailable: vermillion
	{0xcc, 0x79, 0xa7, 0xff}, // outcome_unknown: purple
	{0x99, 0x99, 0x99, 0xff}, // other: grey
}

// colorOf returns the colour of a strategy, the same in every chart.
func colorOf(r Ref) color.RGBA {
	for i, s := range backends.Strategies {
		if s.Backend == r.Backend && s.ID == r.Strategy {
			return strategyColors[i%len(strategyColors)]
		}
	}
	return strategyColors[len(strategyColors)-1]
}

// Chart draws one chart of the results as SVG or PNG, light or dark. Only
// strategies that have run appear.
func Chart(results []Result, name, format, themeName string) ([]byte, error) {
	th, ok := themes[themeName]
	if !ok {
		return nil, invalid("theme", "theme %q: want light or dark", themeName)
	}
	if format != FormatSVG && format != FormatPNG {
		return nil, invalid("format", "chart format %q: want svg or png", format)
	}

	var ran []Result
	for _, r := range results {
		if r.Completed > 0 {
			ran = append(ran, r)
		}
	}

	drawChart := map[string]func(*plot.Plot, []Result) error{
		ChartLatency:    latencyChart,
		ChartThroughput: throughputChart,
		ChartOutcomes:   outcomesChart,
	}[name]
	if drawChart == nil {
		return nil, invalid("chart", "chart %q: want one of %s", name,
			strings.Join(Charts(), ", "))
	}
	p := plot.New()
	style(p, th, name == ChartLatency)
	if err := drawChart(p, ran); err != nil {
		return nil, fmt.Errorf("draw the %s chart: %w", name, err)
	}
	if len(ran) == 0 {
		p.Title.Text += " (no results yet)"
	}

	wt, err := p.WriterTo(chartWidth, chartHeight, format)
	if err != nil {
		return nil, fmt.Errorf("render the %s chart as %s: %w", name, format, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render the %s chart as %s: %w", name, format, err)
	}
	return buf.Bytes(), nil
}

// style applies the theme's colours to every part of p and draws the grid,
// first so that it lies under the data.
func style(p *plot.Plot, th theme, vertical bool) {
	p.BackgroundColor = th.background
	p.Title.TextStyle.Color = th.text
	p.Legend.TextStyle.Color = th.text
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Color = th.text
		a.LineStyle.Color = th.text
		a.Label.TextStyle.Color = th.text
		a.Tick.Label.Color = th.text
		a.Tick.LineStyle.Color = th.text
	}
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	if vertical {
		g.Vertical.Color = th.grid
	}
	g.Horizontal.Color = th.grid
	p.Add(g)
}

// percentileX maps a percentile to the latency chart's x axis: each tick is
// one more nine (90, 99, 99.9...).
func percentileX(p float64) float64 { return -math.Log10(1 - p/100) }

// percentileTicks label the latency chart's x axis.
type percentileTicks struct{}

// Ticks returns a tick at each number of nines.
func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, p := range []float64{0, 50, 90, 99, 99.9, 99.99, 99.999} {
		if x := percentileX(p); x <= hi+1e-9 {
			ticks = append(ticks, plot.Tick{Value: x, Label: trimFloat(p) + "%"})
		}
	}
	return ticks
}

// latencyChart draws latency by percentile for every strategy on one
// logarithmic plot.
func latencyChart(p *plot.Plot, results []Result) error {
	p.Title.Text = "Latency by percentile"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms, log scale)"
	p.X.Tick.Marker = percentileTicks{}
	p.X.Min = 0
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// Lines rise to the right: the lower right corner is where they are not.
	p.Legend.Top = false
	p.Legend.Left = false

	maxX := 1.0
	for _, r := range results {
		xys := make(plotter.XYs, 0, len(r.Latency.Percentiles))
		for _, pt := range r.Latency.Percentiles {
			xys = append(xys, plotter.XY{X: percentileX(pt.Percentile), Y: max(pt.Ms, 0.001)})
		}
		if len(xys) == 0 {
			continue
		}
		maxX = max(maxX, xys[len(xys)-1].X)
		line, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		line.Color = colorOf(r.Ref())
		line.Width = vg.Points(2)
		if !strategyCorrect(r.Ref()) {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(line)
		p.Legend.Add(r.Ref().String(), line)
	}
	p.X.Max = maxX * 1.03
	if len(results) == 0 {
		p.Y.Min, p.Y.Max = 0.01, 10
	}
	return nil
}

// strategyCorrect reports whether a strategy is meant to be correct.
func strategyCorrect(r Ref) bool {
	s, ok := backends.LookupStrategy(r.Backend, r.Strategy, false)
	return !ok || s.Correct
}

// barLabels names the bars, backend above strategy, long strategy ids
// broken at hyphens so that neighbouring labels do not run into each other.
func barLabels(results []Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.Backend + "\n" + wrapID(r.Strategy, 14)
	}
	return out
}

// wrapID breaks id after hyphens into lines of about width characters.
func wrapID(id string, width int) string {
	var lines []string
	line := ""
	for _, part := range strings.SplitAfter(id, "-") {
		if line != "" && len(line)+len(part) > width {
			lines = append(lines, line)
			line = ""
		}
		line += part
	}
	return strings.Join(append(lines, line), "\n")
}

// throughputChart draws increments per second per strategy.
func throughputChart(p *plot.Plot, results []Result) error {
	p.Title.Text = "Throughput"
	p.Y.Label.Text = "increments per second"
	p.Y.Min = 0
	if len(results) == 0 {
		return nil
	}

	w := barWidth(len(results))
	for i, r := range results {
		vals := make(plotter.Values, len(results))
		vals[i] = r.Throughput
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Color = colorOf(r.Ref())
		bars.LineStyle.Width = 0
		p.Add(bars)
	}

	xys := make(plotter.XYs, len(results))
	texts := make([]string, len(results))
	for i, r := range results {
		xys[i] = plotter.XY{X: float64(i), Y: r.Throughput}
		texts[i] = fmt.Sprintf("%.0f/s", r.Throughput)
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Color = p.Title.TextStyle.Color
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.Offset.Y = vg.Points(3)
	}
	p.Add(labels)
	var top float64
	for _, r := range results {
		top = max(top, r.Throughput)
	}
	p.Y.Max = top * 1.12 // room for the labels above the bars
	p.NominalX(barLabels(results)...)
	widenX(p)
	return nil
}

// widenX leaves half a bar of room on each side, so that long labels fit.
func widenX(p *plot.Plot) {
	p.X.Min -= 0.5
	p.X.Max += 0.5
}

// barWidth fits n bars in the chart.
func barWidth(n int) vg.Length {
	return min(vg.Points(60), (chartWidth-vg.Inch)/vg.Length(max(n, 1))*0.6)
}

// outcomesChart draws the outcome mix per strategy, stacked, in shares of
// the increments completed.
func outcomesChart(p *plot.Plot, results []Result) error {
	p.Title.Text = "Outcomes"
	p.Y.Label.Text = "share of increments (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top = true
	if len(results) == 0 {
		return nil
	}

	w := barWidth(len(results))
	var below *plotter.BarChart
	for _, o := range Outcomes() {
		vals := make(plotter.Values, len(results))
		for i, r := range results {
			vals[i] = 100 * float64(r.Outcomes[o.String()]) / float64(r.Completed)
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Color = outcomeColors[o]
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(o.String(), bars)
	}
	// The legend sits to the right of the bars, outside the data.
	p.Legend.XOffs = 0
	p.Legend.ThumbnailWidth = vg.Points(10)
	p.Legend.Padding = vg.Points(2)
	p.NominalX(barLabels(results)...)
	widenX(p)
	p.X.Max += 1.6 // room on the right for the legend
	return nil
}

// trimFloat prints f without trailing zeros.
func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
