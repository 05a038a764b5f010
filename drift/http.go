package drift

import (
	"context"
	"io"
	"net/http"
	"strings"
)

// maxErrorBody caps how much of an error answer a message quotes.
const maxErrorBody = 512

// Get performs one GET for a live source and reads at most limit bytes of
// the answer. accept, if not empty, is sent as the Accept header; a nil
// client is http.DefaultClient.
func Get(ctx context.Context, c *http.Client, url, accept string, limit int64) (status int, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit))
	return resp.StatusCode, body, err
}

// ErrorBody is an error answer's body as a message quotes it: trimmed and
// cut to 512 bytes, so a gateway's large or hostile answer does not flood
// the terminal (the CLI escapes control characters in errors).
func ErrorBody(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody] + "…"
	}
	return s
}
