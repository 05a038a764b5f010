package drift

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunAllBoundedOrderedTimeout(t *testing.T) {
	var running, peak atomic.Int32
	job := func(name string, d time.Duration, err error) Job {
		return Job{Target: "nginx", Source: name, Run: func(ctx context.Context) (Result, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
			return Result{Source: name, Findings: []Finding{{Control: "tls"}}}, err
		}}
	}
	jobs := []Job{job("a", 30*time.Millisecond, nil), job("b", 10*time.Millisecond, nil),
		job("slow", time.Minute, nil), job("c", 5*time.Millisecond, errors.New("boom"))}
	var progress bytes.Buffer
	start := time.Now()
	out := RunAll(context.Background(), jobs, 2, 200*time.Millisecond, &progress)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("timeout not applied")
	}
	if peak.Load() > 2 {
		t.Errorf("peak parallelism %d > 2", peak.Load())
	}
	for i, o := range out {
		if o.Job.Source != jobs[i].Source {
			t.Errorf("outcome %d is %s", i, o.Job.Source)
		}
	}
	if out[0].Err != nil || out[0].Result.Source != "a" {
		t.Errorf("a: %+v", out[0])
	}
	if out[2].Err == nil || !strings.Contains(out[2].Err.Error(), "timed out") {
		t.Errorf("slow: %v", out[2].Err)
	}
	if out[3].Err == nil {
		t.Errorf("c: error lost")
	}
	if n := strings.Count(progress.String(), "\n"); n != 4 || !strings.Contains(progress.String(), "[4/4]") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

func TestReadSources(t *testing.T) {
	in := "# live gateways\n\nnginx cmd:nginx -T\ngoproxy http://127.0.0.1:9901\n"
	got, err := ReadSources(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Source != "cmd:nginx -T" || got[0].Line != 3 || got[1].Target != "goproxy" {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"nginx\n", "", "# only\n"} {
		if _, err := ReadSources(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadSources(%q) accepted", bad)
		}
	}
}
