package service

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestStreamServesHTTP(t *testing.T) {
	listen := func(ctx context.Context) (net.Listener, error) {
		return (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello")
	})}
	var failed error
	s := NewStream("web", "tcp:0", listen, srv, nil, func(err error) { failed = err })
	if s.Addr() != nil {
		t.Error("Addr before PrivilegedStart")
	}
	ctx := context.Background()
	if err := s.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body %q", body)
	}
	http.DefaultClient.CloseIdleConnections()
	s.BeginStop()
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("still accepting after BeginStop")
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if failed != nil {
		t.Errorf("a clean stop was reported as a failure: %v", failed)
	}
}

func TestStreamBindErrorAndStopWithoutStart(t *testing.T) {
	listen := func(context.Context) (net.Listener, error) { return nil, errors.New("address already in use") }
	s := NewStream("x", "tcp:1", listen, &http.Server{}, nil, nil)
	if err := s.PrivilegedStart(context.Background()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("error %v", err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start without a listener succeeded")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop after a failed start: %v", err)
	}
}

// A server whose Serve ends by itself reports through fail.
func TestStreamReportsServeFailure(t *testing.T) {
	listen := func(ctx context.Context) (net.Listener, error) {
		return (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	}
	failed := make(chan error, 1)
	s := NewStream("x", "tcp:0", listen, dying{}, nil, func(err error) { failed <- err })
	s.PrivilegedStart(context.Background())
	s.Start(context.Background())
	if err := <-failed; err == nil || !strings.Contains(err.Error(), "tcp:0 stopped serving: gave up") {
		t.Errorf("failure %v", err)
	}
	s.Stop(context.Background())
}

type dying struct{}

func (dying) Serve(l net.Listener) error         { return errors.New("gave up") }
func (dying) Shutdown(ctx context.Context) error { return nil }
