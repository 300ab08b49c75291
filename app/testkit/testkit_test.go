package testkit_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"jiayuan/app/testkit"
)

func TestPoll(t *testing.T) {
	n := 0
	if !testkit.Poll(time.Minute, func() bool { n++; return n == 3 }) || n != 3 {
		t.Fatalf("Poll stopped after %d calls", n)
	}
	if testkit.Poll(0, func() bool { return false }) {
		t.Fatal("Poll said a condition that never holds held")
	}
}

// TestOnlyTestsImport: the helpers sleep and fail tests; no program may depend on them.
func TestOnlyTestsImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "jiayuan/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if pkg != "jiayuan/app/testkit" && strings.Contains(" "+imports+" ", " jiayuan/app/testkit ") {
			t.Errorf("%s imports testkit outside its tests", pkg)
		}
	}
}
