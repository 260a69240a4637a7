package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// ServeInfo is what a running `serve` writes into its data directory, so
// that the other commands, which cannot open an embedded store another
// process holds, can say who holds it and ask it over HTTP instead.
type ServeInfo struct {
	PID int    `json:"pid"`
	URL string `json:"url"` // the API's base, http://host:port
}

func serveInfoPath(data string) string { return filepath.Join(data, "serve.json") }

// writeServeInfo records this process as serving data at addr (the bound
// address; an unspecified host is reached on loopback).
func writeServeInfo(data, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	b, err := json.Marshal(ServeInfo{PID: os.Getpid(), URL: "http://" + net.JoinHostPort(host, port)})
	if err != nil {
		return err
	}
	tmp := serveInfoPath(data) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, serveInfoPath(data))
}

func removeServeInfo(data string) { _ = os.Remove(serveInfoPath(data)) }

// ReadServeInfo returns the serve process recorded in data, when its file
// exists and its process is alive.
func ReadServeInfo(data string) (ServeInfo, bool) {
	b, err := os.ReadFile(serveInfoPath(data))
	if err != nil {
		return ServeInfo{}, false
	}
	var si ServeInfo
	if json.Unmarshal(b, &si) != nil || si.PID <= 0 || si.URL == "" {
		return ServeInfo{}, false
	}
	if err := syscall.Kill(si.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return ServeInfo{}, false // a stale file: that process is gone
	}
	return si, true
}

// BusyError is OpenStore's error when a running serve holds the embedded
// store of the data directory.
type BusyError struct {
	Data string
	ServeInfo
	Err error
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the data directory %s is in use by `throughline serve` (pid %d, %s): stop it first, or ask it over HTTP (%s/api/v1/...)",
		e.Data, e.PID, e.URL, e.URL)
}

func (e *BusyError) Unwrap() error { return e.Err }
