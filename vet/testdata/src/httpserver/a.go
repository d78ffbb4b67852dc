package httpserver

import (
	"net/http"
	"time"
)

func serve(mux *http.ServeMux) error {
	srv := &http.Server{Addr: ":8080", Handler: mux} // want `http-server-no-timeout: http.Server without ReadHeaderTimeout or ReadTimeout`
	return srv.ListenAndServe()
}

func helper(mux *http.ServeMux) error {
	return http.ListenAndServe(":8080", mux) // want `http.ListenAndServe serves with a zero http.Server`
}

func stream(w http.ResponseWriter, r *http.Request) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// The correct forms.

func good(mux *http.ServeMux) error {
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

func readTimeout(mux *http.ServeMux) error {
	srv := http.Server{Addr: ":8080", Handler: mux, ReadTimeout: 5 * time.Second, WriteTimeout: time.Minute}
	return srv.ListenAndServe()
}

func setLater(mux *http.ServeMux) error {
	srv := &http.Server{Addr: ":8080", Handler: mux}
	srv.ReadHeaderTimeout = 5 * time.Second
	return srv.ListenAndServe()
}
