package queries

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The chDB C API (chdb.h, "new API"), bound lazily with purego. chdb-go's
// own binding loads libchdb.so in a package init and panics when it is
// missing; a server-mode deployment must never depend on the 560 MB library,
// so Throughline binds the handful of functions it needs itself, only when
// the embedded engine is opened.
type chdbLib struct {
	connect      func(argc int, argv []*byte) *chdbConnection
	closeConn    func(conn *chdbConnection)
	query        func(conn unsafe.Pointer, query string, format string) *chdbResult
	destroy      func(result *chdbResult)
	resultBuffer func(result *chdbResult) *byte
	resultLen    func(result *chdbResult) uint
	resultError  func(result *chdbResult) string
}

type chdbConnection struct{ internal unsafe.Pointer }
type chdbResult struct{ internal unsafe.Pointer }

var (
	chdbOnce   sync.Once
	chdbLoaded *chdbLib
	chdbErr    error
)

// LibraryCandidates lists where the embedded engine looks for libchdb.so, in
// order: $CHDB_LIB_PATH, the repository cache the Makefile fills (relative
// to the working directory and to the executable), then system paths.
func LibraryCandidates() []string {
	var c []string
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		c = append(c, p)
	}
	c = append(c, filepath.Join(".cache", "chdb", "libchdb.so"))
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		c = append(c,
			filepath.Join(dir, "..", ".cache", "chdb", "libchdb.so"),
			filepath.Join(dir, ".cache", "chdb", "libchdb.so"))
	}
	if wd, err := os.Getwd(); err == nil {
		// Tests run in package directories: walk up to the module root.
		for d := wd; ; d = filepath.Dir(d) {
			c = append(c, filepath.Join(d, ".cache", "chdb", "libchdb.so"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return append(c, "/usr/local/lib/libchdb.so", "/usr/lib/libchdb.so")
}

// ErrNoLibrary is returned when libchdb.so cannot be found.
var ErrNoLibrary = errors.New("embedded ClickHouse library libchdb.so not found (run `make chdb`, set CHDB_LIB_PATH, or use --clickhouse to point at a server)")

// loadChdb loads the library once per process: the library itself allows
// only one open session per process.
func loadChdb() (*chdbLib, error) {
	chdbOnce.Do(func() {
		path := ""
		for _, p := range LibraryCandidates() {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				path = p
				break
			}
		}
		if path == "" {
			chdbErr = ErrNoLibrary
			return
		}
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			chdbErr = fmt.Errorf("load %s: %w", path, err)
			return
		}
		l := &chdbLib{}
		for name, fn := range map[string]any{
			"chdb_connect":              &l.connect,
			"chdb_close_conn":           &l.closeConn,
			"chdb_query":                &l.query,
			"chdb_destroy_query_result": &l.destroy,
			"chdb_result_buffer":        &l.resultBuffer,
			"chdb_result_length":        &l.resultLen,
			"chdb_result_error":         &l.resultError,
		} {
			if _, err := purego.Dlsym(h, name); err != nil {
				chdbErr = fmt.Errorf("load %s: missing symbol %s", path, name)
				return
			}
			purego.RegisterLibFunc(fn, h, name)
		}
		chdbLoaded = l
	})
	return chdbLoaded, chdbErr
}

// chdbSession is one open chDB connection. Its methods are not safe for
// concurrent use; the embedded engine serialises them.
type chdbSession struct {
	lib  *chdbLib
	conn *chdbConnection
}

func openChdb(path string) (*chdbSession, error) {
	lib, err := loadChdb()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	args := []string{"clickhouse", "--path=" + path}
	argv := make([]*byte, len(args))
	keep := make([][]byte, len(args))
	for i, a := range args {
		keep[i] = append([]byte(a), 0)
		argv[i] = &keep[i][0]
	}
	conn := lib.connect(len(argv), argv)
	if conn == nil || conn.internal == nil {
		return nil, fmt.Errorf("open embedded ClickHouse at %s: connection failed (is another process using this data directory?)", path)
	}
	return &chdbSession{lib: lib, conn: conn}, nil
}

func (s *chdbSession) query(sql, format string) ([]byte, error) {
	res := s.lib.query(s.conn.internal, sql, format)
	if res == nil {
		return nil, nil
	}
	defer s.lib.destroy(res)
	if msg := s.lib.resultError(res); msg != "" {
		return nil, errors.New(msg)
	}
	n := int(s.lib.resultLen(res))
	if n == 0 {
		return nil, nil
	}
	buf := s.lib.resultBuffer(res)
	if buf == nil {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice(buf, n))
	return out, nil
}

func (s *chdbSession) close() {
	if s.conn != nil {
		s.lib.closeConn(s.conn)
		s.conn = nil
	}
}
