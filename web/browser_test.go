package web

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/internal/testenv"
)

// browser is a headless Chromium tab on a lab, with its console recorded.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts Chromium from COUNTERLAB_TEST_CHROME (or the PATH): it
// skips the test without one unless integration tests are required.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	chrome := testenv.Chrome(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)

	// The first action starts the browser; it must run without a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", chrome, err)
	}

	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs steps within the time given.
func (b *browser) do(what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitJS waits until the JavaScript expression is true.
func (b *browser) waitJS(what string, d time.Duration, expr string) {
	b.t.Helper()
	b.do(what, d+time.Second, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))(ctx, t)
		return chromedp.Void{}, err
	})
}

// evalJS evaluates an expression and decodes its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the whole page as PNG under the artifacts directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("COUNTERLAB_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "counterlab-browser-test")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot saved: %s", p)
}

// darkMode asks the page for the dark colour scheme.
func darkMode(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	})
	return chromedp.Void{}, err
}

// consoleErrors returns the errors and exceptions the page logged.
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String()+" ("+m.URL+")")
		}
	}
	return out
}

// row is a result row as the page shows it.
type row struct {
	Strategy, Status, Verdict, Text string
}

// chartsLoaded is true once every chart image has loaded.
const chartsLoaded = `document.querySelectorAll('#charts img').length === 3 &&
	[...document.querySelectorAll('#charts img')].every(i => i.complete && i.naturalWidth > 0)`

// TestBrowser drives the page in headless Chromium against the real router
// and the embedded targets: it tries one increment, sets a fault through the
// page, runs a small comparison, and checks every strategy's row and
// verdict, the charts, the exports and the console, in light and dark mode
// and on a narrow screen.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	l := newLab(t, labOptions{})

	b.do("load the page", 30*time.Second,
		chromedp.Navigate(l.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#backends article`)))
	b.waitJS("strategy choices", 10*time.Second,
		`document.querySelectorAll('input[name=strategy]').length === 7`)
	if n := evalJS[int](b, `document.querySelectorAll('#backends article').length`); n != 3 {
		t.Fatalf("got %d backend cards, want 3", n)
	}

	// Every field has a label; no inline script or style.
	unlabelled := evalJS[[]string](b, `[...document.querySelectorAll('input, select')]
		.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
		.map(e => e.id || e.name)`)
	if len(unlabelled) > 0 {
		t.Errorf("fields without a label: %v", unlabelled)
	}
	inline := `document.querySelectorAll('script:not([src]), [style]').length`
	if n := evalJS[int](b, inline); n != 0 {
		t.Errorf("got %d inline scripts or styles, want none", n)
	}

	// One increment per strategy, as before the comparison existed.
	b.do("try an increment", 10*time.Second,
		chromedp.Click(chromedp.CSS(`button[aria-label="Increment with dynamodb/conditional"]`)))
	b.waitJS("increment answer", 10*time.Second, `[...document.querySelectorAll('.strategy')]
		.some(s => s.textContent.includes('conditional') &&
			s.querySelector('.result').textContent.startsWith('value 1 · 1 round trip'))`)

	// A delay on the emulator's conditional writes, set through the page,
	// lines the clients of the published algorithm up so that it loses
	// updates every time.
	b.waitJS("fault forms", 10*time.Second, `document.getElementById('fault-momento-op') !== null`)
	b.do("set a fault", 10*time.Second,
		chromedp.SetValue(chromedp.ID("fault-momento-op"), "set-if"),
		chromedp.SetValue(chromedp.ID("fault-momento-delay"), "30"),
		chromedp.Click(chromedp.CSS(
			`article[aria-labelledby="fault-momento"] button[type=submit]`)))
	b.waitJS("fault shown", 10*time.Second, `[...document.querySelectorAll('#fault-forms .result')]
		.some(p => p.textContent.includes('30 ms added on set-if'))`)
	if f, ok := l.targets.Fault(backends.Momento); !ok || f.Operation != "set-if" ||
		f.Delay != 30*time.Millisecond {
		t.Fatalf("fault on the emulator: got %+v, %v", f, ok)
	}

	// A small run of every strategy, followed through server-sent events.
	evalJS[bool](b, `(() => { const p = document.getElementById('preset');
		p.value = 'quick'; p.dispatchEvent(new Event('change')); return true; })()`)
	checked := `document.querySelectorAll('input[name=strategy]:checked').length`
	if n := evalJS[int](b, checked); n != 7 {
		t.Fatalf("quick preset: got %d strategies checked, want 7", n)
	}
	b.do("start the run", 10*time.Second, chromedp.Click(chromedp.ID("start")))
	b.waitJS("run finished", 90*time.Second,
		`document.getElementById('progress-label').textContent === 'Run finished'`)
	b.waitJS("charts loaded", 30*time.Second, chartsLoaded)

	rows := evalJS[[]row](b, `[...document.querySelectorAll('#results-body tr')].map(r => ({
		Strategy: r.dataset.strategy, Status: r.dataset.status,
		Verdict: r.dataset.verdict || '', Text: r.cells[1].textContent }))`)
	if len(rows) != len(backends.Strategies) {
		t.Fatalf("got %d result rows, want %d: %+v", len(rows), len(backends.Strategies), rows)
	}
	for i, s := range backends.Strategies {
		r := rows[i]
		want := "correct"
		if !s.Correct {
			want = "lost_updates"
		}
		if r.Strategy != s.Backend+"/"+s.ID || r.Status != "done" || r.Verdict != want {
			t.Errorf("row %d: got %+v, want %s/%s done and %s", i, r, s.Backend, s.ID, want)
		}
		if want == "lost_updates" && !strings.Contains(r.Text, "lost") {
			t.Errorf("row %d: verdict text %q does not say lost", i, r.Text)
		}
	}
	if p := evalJS[float64](b, `document.getElementById('progress').value`); p != 100 {
		t.Errorf("got progress %v, want 100", p)
	}

	for _, ext := range []string{"json", "csv"} {
		href := evalJS[string](b, `document.getElementById('export-`+ext+`').href`)
		resp, err := http.Get(href)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("export %s at %s: %v %v", ext, href, resp, err)
		} else {
			resp.Body.Close()
		}
	}
	b.screenshot("page-light")

	// Dark mode: the page changes colours and the charts come in their dark
	// version.
	b.do("dark mode", 10*time.Second, darkMode)
	b.waitJS("dark charts", 30*time.Second, chartsLoaded+` &&
		[...document.querySelectorAll('#charts img')]
			.every(i => i.currentSrc.includes('theme=dark'))`)
	bg := evalJS[string](b, `getComputedStyle(document.body).backgroundColor`)
	if bg == "rgb(246, 247, 249)" || bg == "rgb(255, 255, 255)" {
		t.Errorf("dark mode: got a light background %s", bg)
	}
	b.screenshot("page-dark")

	// A narrow screen: nothing wider than the viewport but the table, which
	// scrolls in its own box.
	b.do("narrow screen", 10*time.Second, chromedp.EmulateViewport(390, 844))
	overflow := evalJS[int](b, `document.documentElement.scrollWidth - window.innerWidth`)
	if overflow > 0 {
		t.Errorf("narrow screen: the page is %d px wider than the viewport", overflow)
	}
	b.screenshot("page-narrow-dark")

	// The cancel button stops a run that would take long: redis/incr runs
	// first and ends, momento/increment is slowed down and cut short.
	l.call("PUT", "/api/faults/momento", map[string]any{"operation": "increment",
		"delayMs": 20}).expect(t, "PUT fault", http.StatusOK, nil)
	evalJS[bool](b, `(() => { const p = document.getElementById('preset');
		p.value = 'many'; p.dispatchEvent(new Event('change'));
		for (const s of document.querySelectorAll('input[name=strategy]')) {
			s.checked = ['momento/increment', 'redis/incr'].includes(s.value);
		}
		return true; })()`)
	b.do("start a long run", 10*time.Second, chromedp.Click(chromedp.ID("start")))
	b.waitJS("long run going", 20*time.Second,
		`document.getElementById('progress-label').textContent.startsWith('Running momento')`)
	b.do("cancel", 10*time.Second, chromedp.Click(chromedp.ID("cancel")))
	b.waitJS("run cancelled", 20*time.Second,
		`document.getElementById('progress-label').textContent === 'Run cancelled'`)
	statuses := evalJS[[]string](b,
		`[...document.querySelectorAll('#results-body tr')].map(r => r.dataset.status)`)
	if strings.Join(statuses, ",") != "done,cancelled" {
		t.Errorf("after cancel: got row statuses %v, want done and cancelled", statuses)
	}

	time.Sleep(200 * time.Millisecond) // let late console messages arrive
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("browser console errors:\n%s", strings.Join(errs, "\n"))
	}
}
