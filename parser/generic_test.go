package parser

import "testing"

func TestElideTypeArgs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main.drain[go.shape.string]", "main.drain[...]"},
		{"main.(*queue[go.shape.string]).pop", "main.(*queue[...]).pop"},
		{"main.F[go.shape.[]int,go.shape.map[string]int]", "main.F[...]"},
		{"sync.(*Map[...]).Load", "sync.(*Map[...]).Load"},
		{"main.worker.func1", "main.worker.func1"},
		{"main.G[go.shape.int].func2", "main.G[...].func2"},
		{"main.broken[go.shape", "main.broken[go.shape"},
	}
	for _, tt := range tests {
		if got := elideTypeArgs(tt.in); got != tt.want {
			t.Errorf("elideTypeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
