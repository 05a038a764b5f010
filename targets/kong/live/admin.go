package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rampart-policy/rampart/drift"
)

// maxBody bounds each Admin API response read.
const maxBody = 256 << 20

// maxPages bounds the pages followed per entity, so a server answering
// `next` forever cannot hold drift.
const maxPages = 100000

// entities are the Admin API collections read in DB mode.
var entities = []string{"services", "routes", "plugins", "consumers", "acls"}

// admin reads Kong's Admin API.
type admin struct {
	c    *http.Client
	base string
}

// errDBMode marks GET /config refused because Kong uses a database.
var errDBMode = errors.New("GET /config is refused (Kong runs with a database)")

// fetch returns the declarative configuration: GET /config's text in
// DB-less mode, else the entity endpoints assembled into one flat
// document (foreign keys as Kong returns them, {"id": …}).
func (a *admin) fetch(ctx context.Context) ([]byte, error) {
	text, err := a.config(ctx)
	if err == nil {
		return text, nil
	}
	if !errors.Is(err, errDBMode) {
		return nil, err
	}
	doc := map[string]any{"_format_version": "3.0"}
	for _, e := range entities {
		rows, err := a.collection(ctx, e)
		if err != nil {
			return nil, err
		}
		doc[e] = rows
	}
	return json.Marshal(doc)
}

// config reads GET /config: {"config": "<YAML text>"}. Kong answers 400
// with a message when it runs with a database; older versions, 404 or
// 405.
func (a *admin) config(ctx context.Context) ([]byte, error) {
	status, body, err := a.get(ctx, a.base+"/config")
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var ans struct {
			Config *string `json:"config"`
		}
		if err := json.Unmarshal(body, &ans); err != nil || ans.Config == nil {
			return nil, fmt.Errorf("GET /config: want {\"config\": \"…\"}: %v", err)
		}
		return []byte(*ans.Config), nil
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
		return nil, errDBMode
	}
	return nil, fmt.Errorf("GET /config: status %d: %s", status, drift.ErrorBody(body))
}

// page is one page of an Admin API collection.
type page struct {
	Data []json.RawMessage `json:"data"`
	Next *string           `json:"next"`
}

// collection reads every page of an entity collection, following next.
func (a *admin) collection(ctx context.Context, name string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	next := "/" + name + "?size=1000"
	for i := 0; next != ""; i++ {
		if i == maxPages {
			return nil, fmt.Errorf("GET /%s: more than %d pages", name, maxPages)
		}
		u, err := a.resolve(next)
		if err != nil {
			return nil, err
		}
		status, body, err := a.get(ctx, u)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d: %s", next, status, drift.ErrorBody(body))
		}
		var pg page
		if err := json.Unmarshal(body, &pg); err != nil || pg.Data == nil {
			return nil, fmt.Errorf("GET %s: want {\"data\": […], \"next\": …}: %v", next, err)
		}
		out = append(out, pg.Data...)
		next = ""
		if pg.Next != nil {
			next = *pg.Next
		}
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	return out, nil
}

// resolve turns a next link (a path with query, as Kong returns it) into
// a URL on the Admin API's host, keeping any base path prefix.
func (a *admin) resolve(next string) (string, error) {
	base, err := url.Parse(a.base)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("next link %q: %w", next, err)
	}
	if ref.IsAbs() && ref.Host != base.Host {
		return "", fmt.Errorf("next link %q leaves the Admin API's host", next)
	}
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.TrimPrefix(ref.Path, "/")
	if strings.HasPrefix(ref.Path, base.Path) && base.Path != "" {
		u.Path = ref.Path
	}
	u.RawQuery = ref.RawQuery
	return u.String(), nil
}

// get performs one GET and reads its body.
func (a *admin) get(ctx context.Context, u string) (int, []byte, error) {
	return drift.Get(ctx, a.c, u, "application/json", maxBody)
}
