package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressQuietWhenFast(t *testing.T) {
	var buf bytes.Buffer
	p := startProgressAfter(&buf, "reading", time.Hour)
	p.stop()
	if buf.Len() != 0 {
		t.Errorf("a step that ended before the delay printed %q", buf.String())
	}
}

func TestProgressAnnouncesSlowSteps(t *testing.T) {
	var buf bytes.Buffer
	p := startProgressAfter(&buf, "reading", time.Nanosecond)
	for deadline := time.Now().Add(10 * time.Second); !p.announced(); {
		if time.Now().After(deadline) {
			t.Fatal("the step was never announced")
		}
		time.Sleep(time.Millisecond)
	}
	p.stop()
	out := buf.String()
	if !strings.HasPrefix(out, "ctxhole: reading...\n") || !strings.Contains(out, "ctxhole: reading took ") {
		t.Errorf("progress output %q", out)
	}
}
