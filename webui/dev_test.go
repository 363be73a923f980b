package webui

import (
	"net/http"
	"os"
	"testing"
)

// TestDevServe serves a synthetic case for manual front-end work when
// CAUSEWAY_DEV_ADDR is set (e.g. 127.0.0.1:8099); it skips otherwise.
func TestDevServe(t *testing.T) {
	addr := os.Getenv("CAUSEWAY_DEV_ADDR")
	if addr == "" {
		t.Skip("set CAUSEWAY_DEV_ADDR to serve a synthetic case")
	}
	c := buildCase(t, "", 20000, os.Getenv("CAUSEWAY_DEV_HOSTILE") == "1")
	s, err := New(Options{Case: c, OwnerToken: testToken, AssetsDir: "static"})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(s.LoginURL(addr, false))
	t.Fatal(http.ListenAndServe(addr, s.Handler()))
}
