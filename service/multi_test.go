package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder collects the calls of every fake service of one test, in order.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.calls, " ")
}

// fake is a leaf whose phases can fail or block.
type fake struct {
	name                    string
	rec                     *recorder
	failPriv, failStart     error
	stopBlock, stopReleased chan struct{} // Stop waits for stopBlock when set
	reloadErr               error
	reloads                 int
}

func (f *fake) Name() string { return f.name }
func (f *fake) PrivilegedStart(context.Context) error {
	f.rec.add("priv:" + f.name)
	return f.failPriv
}
func (f *fake) Start(context.Context) error {
	f.rec.add("start:" + f.name)
	return f.failStart
}
func (f *fake) BeginStop() { f.rec.add("begin:" + f.name) }
func (f *fake) Stop(ctx context.Context) error {
	if f.stopBlock != nil {
		<-f.stopBlock
	}
	f.rec.add("stop:" + f.name)
	return nil
}
func (f *fake) Reload(context.Context) error {
	f.reloads++
	return f.reloadErr
}

// tree builds [a, m[m1, m2], b].
func tree(rec *recorder) (*Multi, map[string]*fake) {
	fs := map[string]*fake{}
	mk := func(n string) *fake { fs[n] = &fake{name: n, rec: rec}; return fs[n] }
	root, m := NewMulti("root"), NewMulti("m")
	root.Add(mk("a"))
	m.Add(mk("m1"))
	m.Add(mk("m2"))
	root.Add(m)
	root.Add(mk("b"))
	return root, fs
}

func TestStartOrderThenReverseStop(t *testing.T) {
	rec := &recorder{}
	root, _ := tree(rec)
	ctx := context.Background()
	if err := root.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := root.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := root.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got := rec.String()
	want := "priv:a priv:m1 priv:m2 priv:b start:a start:m1 start:m2 start:b begin:b begin:m2 begin:m1 begin:a"
	if !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s ...", got, want)
	}
	for _, n := range []string{"a", "m1", "m2", "b"} {
		if !strings.Contains(got, "stop:"+n) {
			t.Errorf("%s never stopped: %s", n, got)
		}
	}
	if err := root.Stop(ctx); err != nil { // twice is fine
		t.Fatal(err)
	}
}

func TestStartRunsPrivilegedPhaseWhenSkipped(t *testing.T) {
	rec := &recorder{}
	root, _ := tree(rec)
	if err := root.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer root.Stop(context.Background())
	if !strings.HasPrefix(rec.String(), "priv:a priv:m1 priv:m2 priv:b start:a") {
		t.Errorf("got %s", rec)
	}
}

func TestFailedPrivilegedStartStopsEarlierChildren(t *testing.T) {
	rec := &recorder{}
	root, fs := tree(rec)
	fs["m2"].failPriv = errors.New("port in use")
	err := root.PrivilegedStart(context.Background())
	var se *Error
	if !errors.As(err, &se) || se.Path != "m/m2" || se.Op != "privileged start" {
		t.Fatalf("error %v (%#v), want one naming m/m2", err, se)
	}
	if !strings.Contains(err.Error(), "service m/m2: privileged start: port in use") {
		t.Errorf("message %q", err)
	}
	got := rec.String()
	if want := "priv:a priv:m1 priv:m2 begin:m1 stop:m1 begin:a stop:a"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFailedStartStopsEverything(t *testing.T) {
	rec := &recorder{}
	root, fs := tree(rec)
	fs["b"].failStart = errors.New("boom")
	err := root.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "service b: start: boom") {
		t.Fatalf("error %v", err)
	}
	for _, n := range []string{"a", "m1", "m2", "b"} {
		if !strings.Contains(rec.String(), "stop:"+n) {
			t.Errorf("%s not stopped after the failed start: %s", n, rec)
		}
	}
}

func TestDuplicateAndEmptyNames(t *testing.T) {
	rec := &recorder{}
	m := NewMulti("m")
	if err := m.Add(&fake{name: "x", rec: rec}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(&fake{name: "x", rec: rec}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("duplicate: %v", err)
	}
	if err := m.Add(&fake{name: "", rec: rec}); err == nil {
		t.Error("empty name accepted")
	}
	if err := m.Add(nil); err == nil {
		t.Error("nil accepted")
	}
	if len(m.Services()) != 1 {
		t.Errorf("children %v", m.Services())
	}
}

func TestAddAndRemoveWhileRunning(t *testing.T) {
	rec := &recorder{}
	m := NewMulti("m")
	ctx := context.Background()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(&fake{name: "late", rec: rec}); err != nil {
		t.Fatal(err)
	}
	if got := rec.String(); got != "priv:late start:late" {
		t.Errorf("adding to a running Multi: %s", got)
	}
	if _, ok := m.Lookup("late"); !ok {
		t.Error("Lookup lost the child")
	}
	if err := m.Remove(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	if got := rec.String(); got != "priv:late start:late begin:late stop:late" {
		t.Errorf("removing from a running Multi: %s", got)
	}
	if err := m.Remove(ctx, "late"); err == nil {
		t.Error("removing twice succeeded")
	}
	failing := &fake{name: "bad", rec: rec, failStart: errors.New("no")}
	if err := m.Add(failing); err == nil {
		t.Error("a child that fails to start was added")
	}
	if _, ok := m.Lookup("bad"); ok {
		t.Error("the failed child stayed")
	}
	m.Stop(ctx)
}

// Stops run concurrently: a blocked child does not delay its siblings, and
// the deadline names it, by path.
func TestStopDeadlineNamesStuckServices(t *testing.T) {
	rec := &recorder{}
	root, fs := tree(rec)
	release := make(chan struct{})
	fs["m1"].stopBlock = release
	fs["a"].stopBlock = release
	defer close(release)
	ctx := context.Background()
	root.Start(ctx)
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := root.Stop(sctx)
	var stuck *StuckError
	if !errors.As(err, &stuck) {
		t.Fatalf("error %v, want a StuckError", err)
	}
	if got := fmt.Sprint(stuck.Paths); got != "[a m/m1]" {
		t.Errorf("stuck %s, want [a m/m1]", got)
	}
	for _, n := range []string{"m2", "b"} {
		if !strings.Contains(rec.String(), "stop:"+n) {
			t.Errorf("%s waited for its blocked siblings: %s", n, rec)
		}
	}
}

func TestReloadReachesEveryReloader(t *testing.T) {
	rec := &recorder{}
	root, fs := tree(rec)
	fs["m2"].reloadErr = errors.New("bad file")
	err := root.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "service m/m2: reload: bad file") {
		t.Errorf("reload error %v", err)
	}
	for n, f := range fs {
		if f.reloads != 1 {
			t.Errorf("%s reloaded %d times", n, f.reloads)
		}
	}
}
