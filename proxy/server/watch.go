package server

import (
	"context"
	"os"
	"time"
)

// WatchFiles reloads when any of paths changes (modification time or
// size), polling every interval, until ctx ends. Polling works the same on
// every file system, including the atomic renames config deployers use.
func (s *Server) WatchFiles(ctx context.Context, interval time.Duration, paths ...string) {
	last := fingerprint(paths)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if now := fingerprint(paths); now != last {
				last = now
				s.Reload()
			}
		}
	}
}

// fingerprint summarises the files' modification times and sizes.
func fingerprint(paths []string) string {
	var b []byte
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			b = st.ModTime().AppendFormat(b, time.RFC3339Nano)
			b = append(b, byte(st.Size()), byte(st.Size()>>8), byte(st.Size()>>16))
		}
		b = append(b, 0)
	}
	return string(b)
}
