package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
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
		{"go build of a modified tree (Go 1.24+)", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261123115804-1a2b3c4d5e6f+dirty"}, Settings: vcs("true")}, "v0.0.0-20261123115804-1a2b3c4d5e6f+dirty"},
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
		{"--version", []string{"--version"}, exitOK, []string{"ctxhole " + toolVersion() + "\nbuilt with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH}, ""},
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

// TestBuiltBinaryVersion builds the command as go build does in a
// checkout (VCS stamping on) and checks that --version and the JSON report
// carry what the Go tool recorded in the binary.
func TestBuiltBinaryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ctxhole")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ctxhole")
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=auto")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	checkBinaryVersion(t, bin)
}

// TestGoInstallVersion installs the command as a user does, with
// go install github.com/ctxhole/ctxhole/cmd/ctxhole@VERSION: the module,
// zipped from this tree as the Go module proxy serves it, comes from a
// file proxy at version v0.42.0 (its dependencies from the local module
// cache), into a temporary GOBIN. The installed binary's --version, JSON
// report and completion must carry that version and the Go that built it.
func TestGoInstallVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("installs the module")
	}
	const modPath, version = "github.com/ctxhole/ctxhole", "v0.42.0"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	at := filepath.Join(proxy, modPath, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if err := modzip.CreateFromDir(&zipped, module.Version{Path: modPath, Version: version}, root); err != nil {
		t.Fatalf("zipping the module: %v", err)
	}
	for name, data := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-11-23T11:58:04Z"}`),
		version + ".mod":  gomod,
		version + ".zip":  zipped.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(tmp, "bin")
	install := exec.Command("go", "install", modPath+"/cmd/ctxhole@"+version)
	install.Dir = tmp // outside any module, as a user runs it
	install.Env = append(os.Environ(),
		"GOBIN="+gobin,
		// The module from the file proxy; its dependencies from the
		// module cache's download directory, checked against the
		// module's own go.sum. Nothing from the network: the checksum
		// database is not consulted (CI reaches only the module proxy).
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(strings.TrimSpace(string(cache)), "cache", "download")),
		"GOSUMDB=off",
		// -trimpath keeps the module cache's directory out of the build
		// cache's keys, so the dependencies compile once, not per run.
		"GOFLAGS=-modcacherw -trimpath",
		// A module cache of its own, so that the test version never
		// lands in the user's.
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	bin := filepath.Join(gobin, "ctxhole")
	if got := checkBinaryVersion(t, bin); got != version {
		t.Errorf("the installed binary says it is %q, want %q", got, version)
	}
}

// checkBinaryVersion checks that a built binary's --version, JSON report
// and completion carry what the Go tool recorded in it (go version -m:
// the main module's version, the VCS revision and time, the toolchain),
// and returns the version it printed.
func checkBinaryVersion(t *testing.T, bin string) string {
	t.Helper()
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var goVersion, modVersion, revision, at string
	for i, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && len(f) == 2:
			goVersion = f[1]
		case len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/ctxhole/ctxhole":
			modVersion = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")[:12]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.time="):
			at = strings.TrimPrefix(f[1], "vcs.time=")
		}
	}
	if modVersion == "" || goVersion == "" {
		t.Fatalf("go version -m shows no main module or toolchain:\n%s", info)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("ctxhole --version: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("--version printed %d lines, want 2:\n%s", len(lines), out)
	}
	wantVersion := modVersion
	if revision != "" && !strings.Contains(modVersion, revision) {
		wantVersion += " rev " + revision
	}
	if lines[0] != "ctxhole "+wantVersion && lines[0] != "ctxhole "+wantVersion+" (modified)" {
		t.Errorf("--version = %q; the binary records module version %q, revision %q", lines[0], modVersion, revision)
	}
	wantBuild := "built with " + goVersion + " for " + runtime.GOOS + "/" + runtime.GOARCH
	if revision != "" {
		wantBuild += ", commit " + revision + " of " + at
	}
	if lines[1] != wantBuild {
		t.Errorf("--version's second line = %q, want %q", lines[1], wantBuild)
	}
	version := strings.TrimPrefix(lines[0], "ctxhole ")
	js, err := exec.Command(bin, "demo", "-o", "json").Output()
	if err != nil {
		t.Fatalf("ctxhole demo -o json: %v", err)
	}
	var doc struct {
		Tool struct {
			Version string `json:"version"`
		} `json:"tool"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || doc.Tool.Version != version {
		t.Errorf("JSON report's tool.version = %q (%v), want %q", doc.Tool.Version, err, version)
	}
	comp, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil || !strings.Contains(string(comp), "__start_ctxhole") {
		t.Errorf("completion bash: %v\n%.200s", err, comp)
	}
	return version
}
