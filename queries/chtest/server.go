package chtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerProcess is a clickhouse-server started for tests.
type ServerProcess struct {
	Dir     string
	TCPPort int
	cmd     *exec.Cmd
	mu      sync.Mutex
}

// DSN is the clickhouse:// address of the server for database db.
func (s *ServerProcess) DSN(db string) string {
	return fmt.Sprintf("clickhouse://default:@127.0.0.1:%d/%s", s.TCPPort, db)
}

const configXML = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>{DIR}/log/server.log</log>
    <errorlog>{DIR}/log/error.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{TCP}</tcp_port>
  <http_port>{HTTP}</http_port>
  <path>{DIR}/data/</path>
  <tmp_path>{DIR}/tmp/</tmp_path>
  <user_files_path>{DIR}/user_files/</user_files_path>
  <format_schema_path>{DIR}/format_schemas/</format_schema_path>
  <users_config>{DIR}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>64</max_concurrent_queries>
</yandex>
`

const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`

// ServerBinary finds clickhouse-server, installing Debian's package when it
// is missing and the process may (root with apt-get).
func ServerBinary() (string, error) {
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("clickhouse-server not installed (apt-get install clickhouse-server, or run make test which installs it)")
	}
	for _, args := range [][]string{{"apt-get", "update", "-qq"}, {"apt-get", "install", "-y", "-qq", "clickhouse-server"}} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("install clickhouse-server: %v: %s", err, out)
		}
	}
	return "/usr/sbin/clickhouse-server", nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartServer starts a clickhouse-server in dir (created; a fresh one per
// run, since a failed Replicated CREATE on 18.16 can leave a directory that
// breaks DROP DATABASE) and waits until it accepts connections.
func StartServer(dir string) (*ServerProcess, error) {
	bin, err := ServerBinary()
	if err != nil {
		return nil, err
	}
	tcp, err := freePort()
	if err != nil {
		return nil, err
	}
	http, err := freePort()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"log", "data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	cfg := replaceAll(configXML, map[string]string{"{DIR}": dir, "{TCP}": strconv.Itoa(tcp), "{HTTP}": strconv.Itoa(http)})
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(usersXML), 0o644); err != nil {
		return nil, err
	}
	s := &ServerProcess{Dir: dir, TCPPort: tcp}
	s.cmd = s.command(bin)
	return s, s.startAndWait()
}

func (s *ServerProcess) command(bin string) *exec.Cmd {
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	out, _ := os.OpenFile(filepath.Join(s.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

func (s *ServerProcess) startAndWait() error {
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start clickhouse-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "log", "error.log"))
			return fmt.Errorf("clickhouse-server exited: %v\n%s", err, tail(log, 2000))
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.TCPPort), 200*time.Millisecond)
		if err == nil {
			c.Close()
			go func() { <-exited }()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("clickhouse-server did not listen within 60s")
}

// Stop kills the server (SIGKILL: the outage tests want an abrupt stop).
func (s *ServerProcess) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		for i := 0; i < 100; i++ {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.TCPPort), 50*time.Millisecond)
			if err != nil {
				break
			}
			c.Close()
			time.Sleep(50 * time.Millisecond)
		}
		s.cmd = nil
	}
}

// Start starts a stopped server again on the same ports and data.
func (s *ServerProcess) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	bin, err := ServerBinary()
	if err != nil {
		return err
	}
	s.cmd = s.command(bin)
	return s.startAndWait()
}

var (
	sharedOnce sync.Once
	shared     *ServerProcess
	sharedErr  error
)

// SharedServer starts one server per test binary, stopped by Cleanup in
// TestMain (see Main).
func SharedServer(tb testing.TB) *ServerProcess {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "throughline-ch-")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = StartServer(dir)
	})
	if sharedErr != nil {
		tb.Fatalf("clickhouse server for tests: %v", sharedErr)
	}
	return shared
}

func cleanupShared() {
	if shared != nil {
		shared.Stop()
		_ = os.RemoveAll(shared.Dir)
	}
}

func replaceAll(s string, m map[string]string) string {
	for k, v := range m {
		for {
			i := indexOf(s, k)
			if i < 0 {
				break
			}
			s = s[:i] + v + s[i+len(k):]
		}
	}
	return s
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitCtx is a short context for set-up statements.
func waitCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}
