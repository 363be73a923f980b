package exercise

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestMountedInEcho mounts the handler the way webui does (two Echo routes
// wrapping Handler, next to an /api group with a catch-all) and checks that
// the API answers and the event stream flushes through Echo's response.
func TestMountedInEcho(t *testing.T) {
	t.Parallel()
	c := newCase(t, synthEvents(60))
	f, err := Parse(strings.NewReader(testYAML))
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(t.Context(), Options{Case: c, File: f, Principal: testPrincipal, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	e := echo.New()
	api := e.Group("/api")
	api.Any("/*", func(c echo.Context) error { return c.String(http.StatusNotFound, "webui catch-all") })
	h := echo.WrapHandler(x.Handler())
	e.Any("/exercise", h)
	e.Any("/exercise/*", h)
	e.Any("/api/exercise/*", h)
	ts := httptest.NewServer(e)
	defer ts.Close()

	get := func(path, user string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+path, nil)
		req.Header.Set("X-User", user)
		return http.DefaultClient.Do(req)
	}
	for _, path := range []string{"/exercise/participant", "/exercise/static/participant.js", "/api/exercise/state"} {
		res, err := get(path, alice)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s through Echo: %d", path, res.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/exercise/stream", nil)
	req.Header.Set("X-User", alice)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var st ParticipantState
			if err := json.Unmarshal([]byte(data), &st); err != nil || st.Title != "Synthetic tabletop" {
				t.Errorf("first state through Echo: %v %s", err, data)
			}
			return
		}
	}
	t.Fatalf("no state on the stream through Echo: %v", sc.Err())
}
