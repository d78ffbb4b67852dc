package httpclient

import (
	"context"
	"net/http"
	"time"

	"clientlib"
)

type pricing struct {
	hc *http.Client // want hc:`noTimeoutClient\(a.go:15\)`
}

func newPricing() *pricing { return &pricing{hc: &http.Client{}} }

func (p *pricing) price(url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return p.hc.Do(req) // want `http-client-no-timeout: p.hc.Do on a client without Timeout \(a.go:15\) with a request built by http.NewRequest`
}

func handler(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://upstream/") // want `http-client-no-timeout: http.Get uses http.DefaultClient`
	if err != nil {
		return
	}
	resp.Body.Close()
}

func post(ctx context.Context, url string) error {
	resp, err := http.DefaultClient.Post(url, "application/json", nil) // want `http.DefaultClient.Post on a client without Timeout \(http.DefaultClient\)`
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func background(url string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	_, err = http.DefaultClient.Do(req) // want `with a request on a background context`
	return err
}

func crossPackage(url string) {
	clientlib.Shared.Get(url)  // want `clientlib.Shared.Get on a client without Timeout \(clientlib.go:11\)`
	clientlib.New().Get(url)   // want `on a client without Timeout \(clientlib.go:17\)`
	clientlib.Bounded.Get(url) // a Timeout: fine
	clientlib.NewBounded().Get(url)
}

// The correct forms.

func withTimeout(url string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func withDeadline(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func timeoutSetLater(url string) {
	hc := &http.Client{}
	hc.Timeout = time.Second
	hc.Get(url)
}

func requestFromCaller(req *http.Request) {
	http.DefaultClient.Do(req) // the caller's context may have a deadline
}

// A field of another package's struct: no fact can be set on it here,
// but what this package stores in it is known.
var cfg = clientlib.Config{HTTPClient: &http.Client{}}

func foreignField(url string) {
	cfg.HTTPClient.Get(url) // want `cfg.HTTPClient.Get on a client without Timeout`
}
