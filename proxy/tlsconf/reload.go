package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Reloader serves a certificate and key read from files, and reads them
// again on Reload, so that a renewed certificate is served without a
// restart. It is safe for concurrent use.
type Reloader struct {
	certFile, keyFile string

	// Logger, if set before Watch starts, hears of each reload Watch does
	// and of each that fails.
	Logger *slog.Logger

	cert atomic.Pointer[tls.Certificate]

	mu   sync.Mutex // serialises Reload; guards seen
	seen [2]fileStamp
}

// fileStamp is what Watch compares to notice a changed file.
type fileStamp struct {
	modUnixNano, size int64
}

// NewReloader loads the pair once; a pair that does not load is an error.
func NewReloader(certFile, keyFile string) (*Reloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: certificate and key files are both required")
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate serves the current certificate; it is the tls.Config
// hook of the same name.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// Certificate returns the certificate being served.
func (r *Reloader) Certificate() *tls.Certificate { return r.cert.Load() }

// Reload reads the files again. If the new pair does not load (unreadable,
// not PEM, key not matching, half written), the certificate served so far
// stays and the error is returned.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() error {
	stamps := [2]fileStamp{stamp(r.certFile), stamp(r.keyFile)}
	cert, err := loadPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.cert.Store(cert)
	r.seen = stamps
	return nil
}

// loadPair loads and parses a certificate and its key.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls: parsing certificate %s: %w", certFile, err)
		}
	}
	return &cert, nil
}

// stamp is a file's modification time and size; zero if it cannot be
// read, which differs from any readable file's.
func stamp(file string) fileStamp {
	fi, err := os.Stat(file)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{modUnixNano: fi.ModTime().UnixNano(), size: fi.Size()}
}

// Watch checks the files' modification times and sizes every interval
// and reloads when either changed, until ctx is done; it blocks, so run
// it in its own goroutine. A failed reload keeps the old certificate and
// is retried when a file changes again (a certificate written before its
// key loads once the key is written too).
func (r *Reloader) Watch(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.poll(ctx)
		}
	}
}

// poll reloads if a file changed since the last attempt.
func (r *Reloader) poll(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamps := [2]fileStamp{stamp(r.certFile), stamp(r.keyFile)}
	if stamps == r.seen {
		return
	}
	err := r.reloadLocked()
	r.seen = stamps // on failure too: retry on the next change, not every tick
	if r.Logger == nil {
		return
	}
	if err != nil {
		r.Logger.ErrorContext(ctx, "certificate reload failed; serving the previous certificate", "error", err)
		return
	}
	leaf := r.cert.Load().Leaf
	r.Logger.InfoContext(ctx, "certificate reloaded", "certFile", r.certFile,
		"serial", leaf.SerialNumber.String(), "notAfter", leaf.NotAfter)
}
