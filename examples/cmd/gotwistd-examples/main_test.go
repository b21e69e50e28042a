package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryOffersEveryPlugin builds the binary as a third party would
// and checks that its help lists the built-in plugins it imports and the
// examples side by side.
func TestBinaryOffersEveryPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "gotwistd-examples")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	for _, name := range []string{"cache", "echo", "chat", "pubsub", "twoservers"} {
		if !strings.Contains(string(out), "\n   "+name) && !strings.Contains(string(out), " "+name+" ") {
			t.Errorf("--help does not list %s:\n%s", name, out)
		}
	}
	out, _ = exec.Command(bin, "--help-reactors").CombinedOutput()
	if !strings.Contains(string(out), "chat") || !strings.Contains(string(out), "gnet") {
		t.Errorf("--help-reactors:\n%s", out)
	}
}
