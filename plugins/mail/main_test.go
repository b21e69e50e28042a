package mail

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/runner"
)

// envServe makes the test binary act as gotwistd with only the mail
// plugin, for the tests that must kill a real server process.
const envServe = "GOTWISTD_MAIL_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(envServe) == "1" {
		os.Exit(runner.Execute([]runner.Plugin{Plugin()}, append([]string{"gotwistd"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}
