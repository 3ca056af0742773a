package compare

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Output formats of the compare command.
const (
	OutputTable    = "table"
	OutputJSON     = "json"
	OutputMarkdown = "markdown"
	OutputCSV      = "csv"
)

// verdictWords is the short form of a verdict for tables.
func verdictWords(r Result) string {
	switch r.Status {
	case StatusSkipped, StatusPending, StatusFailed:
		return r.Status
	}
	ev := r.Verdict.Evidence
	switch r.Verdict.ID {
	case VerdictCorrect:
		return "correct"
	case VerdictLostUpdates:
		return fmt.Sprintf("LOST %d UPDATES", ev.Lost)
	case VerdictExceededMax:
		return fmt.Sprintf("EXCEEDED MAX BY %d", ev.Exceeded)
	case VerdictExtraUpdates:
		return fmt.Sprintf("%d EXTRA UPDATES", ev.Extra)
	case VerdictInconclusive:
		return fmt.Sprintf("inconclusive (%d unknown)", ev.Unknown)
	}
	return r.Verdict.ID
}

// tableColumns are the columns of the table and Markdown outputs.
var tableColumns = []string{
	"strategy", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
	"trips", "attempts", "ok", "limit", "conflict", "unavail", "unknown", "other",
	"final", "verdict",
}

// tableRow formats one result for the table and Markdown outputs.
func tableRow(r Result) []string {
	ms := func(x float64) string { return fmt.Sprintf("%.2f", x) }
	row := []string{
		r.Ref().String(), fmt.Sprintf("%.0f", r.Throughput),
		ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.P999),
		ms(r.Latency.Max), fmt.Sprintf("%.2f", r.RoundTrips), fmt.Sprintf("%.2f", r.Attempts),
	}
	for _, o := range Outcomes() {
		row = append(row, fmt.Sprint(r.Outcomes[o.String()]))
	}
	return append(row, fmt.Sprint(r.Final), verdictWords(r))
}

// WriteTable writes the results as an aligned text table, then the verdicts
// in words.
func WriteTable(w io.Writer, s RunState) error {
	fmt.Fprintf(w, "run %s: %s\n\n", s.ID, s.Spec.Spec().Workload.String())
	rows := [][]string{slices.Clone(tableColumns)}
	for _, r := range s.Results {
		rows = append(rows, tableRow(r))
	}
	// Numbers align right; the first and last columns (names, verdicts) are
	// padded to their width so that they read left-aligned.
	for _, col := range []int{0, len(tableColumns) - 1} {
		width := 0
		for _, row := range rows {
			width = max(width, len(row[col]))
		}
		for _, row := range rows {
			row[col] = fmt.Sprintf("%-*s", width, row[col])
		}
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		b.WriteString(strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String()+"\n"+verdictLines(s, "")+footnote(s))
	return err
}

// WriteMarkdown writes the results as a Markdown table, then the verdicts.
func WriteMarkdown(w io.Writer, s RunState) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run `%s`: %s.\n\n", s.ID, s.Spec.Spec().Workload.String())
	b.WriteString("| " + strings.Join(tableColumns, " | ") + " |\n")
	b.WriteString("|---|" + strings.Repeat("---:|", len(tableColumns)-2) + "---|\n")
	for _, r := range s.Results {
		row := tableRow(r)
		row[0] = "`" + row[0] + "`"
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\n" + verdictLines(s, "- ") + footnote(s))
	_, err := io.WriteString(w, b.String())
	return err
}

// verdictLines writes each strategy's verdict in words, one per line.
func verdictLines(s RunState, bullet string) string {
	var b strings.Builder
	for _, r := range s.Results {
		summary := r.Verdict.Summary
		if r.Status == StatusSkipped || r.Status == StatusPending {
			summary = "not run: the run was cancelled first"
		}
		if r.StoppedEarly {
			summary += fmt.Sprintf(" (stopped by the time cap after %d increments)", r.Completed)
		}
		fmt.Fprintf(&b, "%s%s: %s\n", bullet, r.Ref(), summary)
	}
	return b.String()
}

// footnote says how the run ended when it did not end normally.
func footnote(s RunState) string {
	if s.State == StateCancelled {
		return "\nThe run was cancelled; the results are partial.\n"
	}
	return ""
}
