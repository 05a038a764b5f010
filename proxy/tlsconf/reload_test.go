package tlsconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// servedSerial is the serial of the certificate a fresh handshake sees.
func servedSerial(t *testing.T, f *fixture, sc *tls.Config) int64 {
	t.Helper()
	r := handshake(t, sc, f.client())
	if !r.ok() {
		t.Fatalf("handshake: client %v, server %v", r.client, r.server)
	}
	return r.state.PeerCertificates[0].SerialNumber.Int64()
}

func TestReload(t *testing.T) {
	f := newFixture(t)
	sc, rl := f.serverConfig(t, intermediate)
	if got := servedSerial(t, f, sc); got != 100 {
		t.Fatalf("serial %d, want 100", got)
	}

	f.ca.issue(t, leaf{cn: "localhost", dns: []string{"localhost"}, serial: 200}).write(t, f.dir, "server")
	if got := servedSerial(t, f, sc); got != 100 {
		t.Fatalf("serial %d before Reload, want 100", got)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, f, sc); got != 200 {
		t.Fatalf("serial %d after Reload, want 200", got)
	}

	// Bad new files: the error is returned and serial 200 stays.
	next := f.ca.issue(t, leaf{cn: "localhost", dns: []string{"localhost"}, serial: 300})
	for _, c := range []struct {
		name  string
		write func()
	}{
		{"garbage cert", func() { writeFile(t, f.certFile, []byte("garbage")) }},
		{"key mismatch", func() { writeFile(t, f.certFile, next.certPEM) }}, // key still serial 200's
		{"empty key", func() { writeFile(t, f.keyFile, nil) }},
	} {
		name := c.name
		c.write()
		if err := rl.Reload(); err == nil {
			t.Errorf("%s: Reload succeeded", name)
		}
		if got := servedSerial(t, f, sc); got != 200 {
			t.Errorf("%s: serial %d, want 200 kept", name, got)
		}
	}
	next.write(t, f.dir, "server")
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, f, sc); got != 300 {
		t.Errorf("serial %d after a good pair, want 300", got)
	}
	if rl.Certificate().Leaf.SerialNumber.Int64() != 300 {
		t.Errorf("Certificate() serial %v", rl.Certificate().Leaf.SerialNumber)
	}
}

// syncBuffer is a bytes.Buffer safe for a Logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitSerial waits for the reloader to serve serial.
func waitSerial(t *testing.T, rl *Reloader, serial int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if rl.Certificate().Leaf.SerialNumber.Int64() == serial {
			return
		}
	}
	t.Fatalf("serial %v, want %d", rl.Certificate().Leaf.SerialNumber, serial)
}

// waitLog waits for text to be in log more than n times.
func waitLog(t *testing.T, log *syncBuffer, text string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(log.String(), text) <= n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not logged: %s", text, log.String())
		}
	}
}

func TestWatch(t *testing.T) {
	f := newFixture(t)
	sc, rl := f.serverConfig(t, intermediate)
	var log syncBuffer
	rl.Logger = slog.New(slog.NewTextHandler(&log, nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		rl.Watch(ctx, 5*time.Millisecond)
		close(done)
	}()

	f.ca.issue(t, leaf{cn: "localhost", dns: []string{"localhost"}, serial: 200}).write(t, f.dir, "server")
	waitSerial(t, rl, 200)
	if got := servedSerial(t, f, sc); got != 200 {
		t.Errorf("handshake serial %d, want 200", got)
	}

	// A certificate written before its key: the half-written pair fails
	// and is logged, the old certificate stays, and the pair loads once
	// the key is written.
	next := f.ca.issue(t, leaf{cn: "localhost", dns: []string{"localhost"}, serial: 300})
	failed := strings.Count(log.String(), "reload failed") // the first pair, if seen half written
	writeFile(t, f.certFile, next.certPEM)
	waitLog(t, &log, "reload failed", failed)
	if got := servedSerial(t, f, sc); got != 200 {
		t.Errorf("serial %d with a half-written pair, want 200", got)
	}
	writeFile(t, f.keyFile, next.keyPEM)
	waitSerial(t, rl, 300)
	waitLog(t, &log, "serial=300", 0) // logged just after the certificate is served

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after its context was done")
	}
}

func TestNewReloaderErrors(t *testing.T) {
	f := newFixture(t)
	if _, err := NewReloader(f.certFile, ""); err == nil {
		t.Error("NewReloader without a key file succeeded")
	}
	if _, err := NewReloader(f.keyFile, f.certFile); err == nil {
		t.Error("NewReloader with the files swapped succeeded")
	}
}
