package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The binary works as a go vet tool: go vet -vettool runs the default
// analyzers, and an analyzer off by default only with -NAME.enable.
func TestGoVetTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool and runs go vet: not in -short")
	}
	dir := t.TempDir()
	tool := filepath.Join(dir, "ctxhole-vet")
	if out, err := exec.Command("go", "build", "-o", tool, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mod := filepath.Join(dir, "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/svc\n\ngo 1.22\n",
		"main.go": `package main

import "net/http"

func summary(w http.ResponseWriter, r *http.Request) {
	results := make(chan string)
	go func() {
		select {
		case results <- "ok":
		case <-r.Context().Done():
		}
	}()
	w.Write([]byte(<-results))
}

func main() {
	http.HandleFunc("/", summary)
	http.ListenAndServe(":8080", nil)
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vet := func(args ...string) (string, int) {
		cmd := exec.Command("go", append([]string{"vet", "-vettool=" + tool}, append(args, "./...")...)...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("go vet: %v", err)
		}
		return string(out), code
	}
	out, code := vet()
	if code == 0 || !strings.Contains(out, "main.go:18:2: http-server-no-timeout: http.ListenAndServe serves with a zero http.Server") {
		t.Errorf("default run: exit %d, output:\n%s", code, out)
	}
	if strings.Contains(out, "chan-recv-blocked") {
		t.Errorf("chanrecv ran although it is off by default:\n%s", out)
	}
	out, _ = vet("-chanrecv.enable")
	if !strings.Contains(out, "main.go:13:17: chan-recv-blocked: receive from unbuffered channel results") {
		t.Errorf("-chanrecv.enable: output:\n%s", out)
	}
}
