package resourceleak

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
)

func check(url string) error {
	resp, err := http.Get(url) // want `resource-leak: the return at line 18 leaves the response body open: Body.Close comes after it \(line 20\)`
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	defer resp.Body.Close()
	return nil
}

func status(c *http.Client, req *http.Request) int {
	resp, err := c.Do(req) // want `resource-leak: the response body is never closed`
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func stock(w http.ResponseWriter, r *http.Request) {
	db, err := sql.Open("mysql", "app@tcp(db)/app") // want `resource-leak: sql.Open in a function that serves a request or context, never closed`
	if err != nil {
		return
	}
	db.QueryRowContext(r.Context(), "SELECT 1")
}

// The correct forms.

func checkGood(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

func nilChecked(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if resp == nil || err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func handedOn(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	return resp, err
}

func drained(c *http.Client, req *http.Request) {
	resp, err := c.Do(req)
	if err != nil {
		return
	}
	drainAndClose(resp.Body)
}

func drainAndClose(rc io.ReadCloser) { rc.Close() }

func openStore(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("mysql", dsn)
	return db, err
}

func openClosed(ctx context.Context, dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

func elseIfNil(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	} else if resp == nil {
		return errors.New("no response")
	}
	defer resp.Body.Close()
	return nil
}

func tunnel(br *bufio.Reader, req *http.Request) (int, error) {
	resp, err := http.ReadResponse(br, req) // a connection the caller owns: not pooled
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}
