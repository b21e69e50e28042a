package runner

import (
	"testing"

	"go.uber.org/goleak"
)

// lumberjack's cleanup goroutine outlives Close (a known edge of the
// library); everything else must be gone.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}
