package drift

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Job is one comparison to run: a live source of one target.
type Job struct {
	// Target names the target; Source is what is live.
	Target string
	Source string
	// Run performs the comparison.
	Run func(ctx context.Context) (Result, error)
}

// Outcome is a job's result or error.
type Outcome struct {
	Job    Job
	Result Result
	Err    error
}

// RunAll runs jobs with at most parallel at a time, each under its own
// timeout, and reports progress to progress (nil for none). Outcomes come
// back in job order whatever order they finish in.
func RunAll(ctx context.Context, jobs []Job, parallel int, timeout time.Duration, progress io.Writer) []Outcome {
	if parallel < 1 {
		parallel = 1
	}
	out := make([]Outcome, len(jobs))
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = runOne(ctx, j, timeout)
			mu.Lock()
			defer mu.Unlock()
			done++
			if progress != nil {
				fmt.Fprintf(progress, "[%d/%d] %s %s: %s\n", done, len(jobs), j.Target, j.Source, summary(out[i]))
			}
		}()
	}
	wg.Wait()
	return out
}

// runOne runs a job under its timeout.
func runOne(ctx context.Context, j Job, timeout time.Duration) Outcome {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	r, err := j.Run(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return Outcome{Job: j, Result: r, Err: err}
}

// summary is an outcome in a few words, for progress lines.
func summary(o Outcome) string {
	if o.Err != nil {
		return "error: " + o.Err.Error()
	}
	if !o.Result.Drifted() {
		return fmt.Sprintf("no drift (%d checks)", len(o.Result.Checks))
	}
	return fmt.Sprintf("%d findings", len(o.Result.Findings))
}

// SourceLine is one line of a sources file.
type SourceLine struct {
	Target, Source string
	Line           int
}

// ReadSources reads a sources file: one "TARGET SOURCE" per line (the
// source is the rest of the line, so "nginx cmd:nginx -T" works); blank
// lines and lines starting with '#' are skipped.
func ReadSources(r io.Reader) ([]SourceLine, error) {
	var out []SourceLine
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, source, ok := strings.Cut(line, " ")
		source = strings.TrimSpace(source)
		if !ok || source == "" {
			return nil, fmt.Errorf("sources line %d: want \"TARGET SOURCE\", got %q", n, line)
		}
		out = append(out, SourceLine{Target: target, Source: source, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sources file lists no source")
	}
	return out, nil
}
