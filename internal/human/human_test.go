package human

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	tests := []struct {
		d     time.Duration
		known bool
		want  string
	}{
		{0, false, "-"},
		{2 * time.Hour, false, "-"},
		{time.Minute, true, ">=1m"},
		{45 * time.Minute, true, ">=45m"},
		{120 * time.Minute, true, ">=2h"},
		{21*time.Hour + 48*time.Minute, true, ">=21h48m"},
		{4520 * time.Millisecond, true, "4.52s"},
		{90*time.Second + 300*time.Millisecond, true, "1m30s"},
		{0, true, "0s"},
	}
	for _, tt := range tests {
		if got := Wait(tt.d, tt.known); got != tt.want {
			t.Errorf("Wait(%v, %v) = %q, want %q", tt.d, tt.known, got, tt.want)
		}
	}
	if got := WaitRange(2*time.Minute, 5*time.Minute, true); got != ">=2m to >=5m" {
		t.Errorf("WaitRange = %q", got)
	}
	if got := WaitRange(2*time.Minute, 2*time.Minute, true); got != ">=2m" {
		t.Errorf("WaitRange of equal ends = %q", got)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500, "500ns"},
		{340123 * time.Nanosecond, "340µs"},
		{1783744 * time.Nanosecond, "1.78ms"},
		{13913 * time.Microsecond, "13.9ms"},
		{340123 * time.Microsecond, "340ms"},
		{4523 * time.Millisecond, "4.52s"},
		{13913 * time.Millisecond, "13.9s"},
		{125400 * time.Millisecond, "2m5s"},
		{170 * time.Second, "2m50s"},
		{10 * time.Minute, "10m"},
		{time.Hour, "1h"},
		{time.Hour + 5*time.Minute, "1h5m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{-1500 * time.Millisecond, "-1.5s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%d) = %q, want %q", int64(tt.d), got, tt.want)
		}
	}
	if got := Offset(1310 * time.Millisecond); got != "+1.31s" {
		t.Errorf("Offset = %q", got)
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-5, "-5"}}
	for _, tt := range tests {
		if got := Count(tt.n); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := Rate(119.94); got != "+119.9 per minute" {
		t.Errorf("Rate = %q", got)
	}
	if got := Rate(-2); got != "-2.0 per minute" {
		t.Errorf("Rate(-2) = %q", got)
	}
	if got := Plural(1, "goroutine"); got != "1 goroutine" {
		t.Errorf("Plural(1) = %q", got)
	}
	if got := Plural(1500, "goroutine"); got != "1,500 goroutines" {
		t.Errorf("Plural(1500) = %q", got)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1.0 kB", 21_000_000: "21.0 MB",
		211_456_789: "211.5 MB", 2_100_000_000: "2.1 GB", 3_000_000_000_000_000: "3.0 PB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
