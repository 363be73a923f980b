package timeline

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openTestDB(t *testing.T, path string) *DB {
	t.Helper()
	d, err := OpenDB(path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDBAssertionsPersist(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "case.db")
	d := openTestDB(t, path)
	ctx := t.Context()
	a := Assertion{From: Entity{KindKey, "msa-key-1"}, To: Entity{KindToken, "abc"}, Relation: "signed", Why: "MSTIC advisory", Who: "alice", At: t0}
	if _, err := d.AddAssertion(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddAssertion(ctx, Assertion{From: Entity{KindKey, "k"}, To: Entity{KindToken, "t"}, Relation: "signed", Who: "alice"}); err == nil {
		t.Error("assertion without a reason accepted")
	}
	d.Close()
	d = openTestDB(t, path)
	got, err := d.Assertions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.ID, a.Created = 1, t0
	if diff := cmp.Diff([]Assertion{a}, got); diff != "" {
		t.Fatalf("after reopen (-want +got):\n%s", diff)
	}
	log, _ := d.Audit(ctx, 0)
	if len(log) != 1 || log[0].Who != "alice" || log[0].Action != "assert" {
		t.Fatalf("audit = %+v", log)
	}
}

func TestDBAnnotationsConcurrent(t *testing.T) {
	t.Parallel()
	d := openTestDB(t, filepath.Join(t.TempDir(), "case.db"))
	ctx := t.Context()
	var wg sync.WaitGroup
	for _, author := range []string{"alice", "bob"} {
		wg.Go(func() {
			for i := range 50 {
				target := fmt.Sprintf("event:e%d", i)
				if _, _, err := d.PutAnnotation(ctx, Annotation{Target: target, Author: author, Star: true, Tags: []string{author, " x ", author}, Note: author}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	all, err := d.Annotations(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 100 {
		t.Fatalf("%d annotations, want 100 (nothing lost)", len(all))
	}
	one, _ := d.Annotations(ctx, "event:e7")
	if len(one) != 2 || one[0].Author != "alice" || !cmp.Equal(one[0].Tags, []string{"alice", "x"}) {
		t.Fatalf("e7 = %+v", one)
	}
	a, created, err := d.PutAnnotation(ctx, Annotation{Target: "event:e7", Author: "alice", Note: "second"})
	if err != nil || created || a.Version != 2 {
		t.Fatalf("update: %+v created=%v err=%v", a, created, err)
	}
	if _, _, err := d.PutAnnotation(ctx, Annotation{Target: "nonsense", Author: "alice"}); err == nil {
		t.Error("bad target accepted")
	}
}

func TestDBUsersAndSessions(t *testing.T) {
	t.Parallel()
	d := openTestDB(t, filepath.Join(t.TempDir(), "case.db"))
	ctx := t.Context()
	tok, err := d.AddUser(ctx, "vera", RoleViewer, "owner")
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.UserByToken(ctx, tok)
	if err != nil || u.Name != "vera" || u.Role != RoleViewer {
		t.Fatalf("user = %+v %v", u, err)
	}
	if _, err := d.UserByToken(ctx, tok+"x"); err != ErrNoUser {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := d.AddUser(ctx, "x", "admin", "owner"); err == nil {
		t.Error("unknown role accepted")
	}
	s, err := d.NewSession(ctx, "vera", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.SessionByID(ctx, s.ID)
	if err != nil || got.User != "vera" || !got.CheckCSRF(s.CSRF) || got.CheckCSRF("") || got.CheckCSRF(s.CSRF+"x") {
		t.Fatalf("session = %+v %v", got, err)
	}
	expired, _ := d.NewSession(ctx, "vera", -time.Second)
	if _, err := d.SessionByID(ctx, expired.ID); err != ErrNoUser {
		t.Fatalf("expired session: %v", err)
	}
	// A new token for the user ends their sessions.
	if _, err := d.AddUser(ctx, "vera", RoleAnalyst, "owner"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionByID(ctx, s.ID); err != ErrNoUser {
		t.Fatalf("session survived a new token: %v", err)
	}
}
