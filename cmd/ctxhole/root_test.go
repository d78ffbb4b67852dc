package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	rev := "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"go install of a commit", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261123115804-1a2b3c4d5e6f"}, Settings: vcs("false")}, "v0.0.0-20261123115804-1a2b3c4d5e6f"},
		{"work tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")}, "(devel) rev 1a2b3c4d5e6f"},
		{"dirty work tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, "(devel) rev 1a2b3c4d5e6f (modified)"},
		{"tagged, built from a tree", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs("false")}, "v1.2.3 rev 1a2b3c4d5e6f"},
		{"no version", debug.BuildInfo{}, "(devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(&tt.bi); got != tt.want {
				t.Errorf("versionOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCLIConventions(t *testing.T) {
	t.Chdir(repoRoot(t))
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"no command prints help on stderr", nil, exitUsage, nil, "Available Commands:"},
		{"--version", []string{"--version"}, exitOK, []string{"ctxhole " + toolVersion() + "\n"}, ""},
		{"unknown command", []string{"analyse"}, exitUsage, nil, `unknown command "analyse"`},
		{"help demo", []string{"help", "demo"}, exitOK, []string{"ctxhole demo [flags]", "-o, --output format"}, ""},
		{"help diff", []string{"help", "diff"}, exitOK, []string{"ctxhole diff [flags] A [B]", "table, json, markdown or html"}, ""},
		{"help analyze lists html", []string{"help", "analyze"}, exitOK, []string{"table, json, markdown or html"}, ""},
		{"help capture", []string{"help", "capture"}, exitOK, []string{"--dir directory", "-o, --output format"}, ""},
		{"help vet is vet's own usage", []string{"help", "vet"}, exitOK, []string{"usage: ctxhole vet", "-sarif"}, ""},
		{"completion bash", []string{"completion", "bash"}, exitOK, []string{"__start_ctxhole"}, ""},
		{"completion zsh", []string{"completion", "zsh"}, exitOK, []string{"#compdef ctxhole"}, ""},
		{"completion fish", []string{"completion", "fish"}, exitOK, []string{"complete -c ctxhole"}, ""},
		{"completion powershell", []string{"completion", "powershell"}, exitOK, []string{"Register-ArgumentCompleter"}, ""},
		{"completes -o's values", []string{"__complete", "analyze", "-o", ""}, exitOK, []string{"table\n", "json\n", "markdown\n"}, ""},
		{"completes subcommands", []string{"__complete", "an"}, exitOK, []string{"analyze\t"}, ""},
		{"capture checks -o before connecting", []string{"capture", "-o", "yaml", "http://127.0.0.1:1"}, exitUsage, nil, `unknown output format "yaml"`},
		{"capture's old -o DIR is a format error", []string{"capture", "-o", "bundle-dir", "http://127.0.0.1:1"}, exitUsage, nil, `unknown output format "bundle-dir"`},
		{"a bad flag value names the flag", []string{"analyze", "--export-finding", "two", flagshipDump}, exitUsage, nil, "--export-finding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
		})
	}
}

// TestBuiltBinaryVersion builds the command as go build and go install do
// (VCS stamping on) and checks that --version and the JSON report carry
// the module version the Go tool recorded in the binary, and that the
// completion script comes out of the binary itself.
func TestBuiltBinaryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "ctxhole")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ctxhole")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=auto")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var modVersion, revision string
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/ctxhole/ctxhole" {
			modVersion = f[2]
		}
		if len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision=") {
			revision = strings.TrimPrefix(f[1], "vcs.revision=")[:12]
		}
	}
	if modVersion == "" {
		t.Fatalf("go version -m shows no main module:\n%s", info)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("ctxhole --version: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "ctxhole "+modVersion) || revision != "" && !strings.Contains(got, revision) {
		t.Errorf("--version = %q; the binary records module version %q, revision %q", got, modVersion, revision)
	}
	js, err := exec.Command(bin, "demo", "-o", "json").Output()
	if err != nil {
		t.Fatalf("ctxhole demo -o json: %v", err)
	}
	if want := `"version": "` + strings.TrimPrefix(got, "ctxhole ") + `"`; !strings.Contains(string(js), want) {
		t.Errorf("JSON report lacks %s", want)
	}
	comp, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil || !strings.Contains(string(comp), "__start_ctxhole") {
		t.Errorf("completion bash: %v\n%.200s", err, comp)
	}
}
