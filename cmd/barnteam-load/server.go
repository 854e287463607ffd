package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// serverProc is a barnteam server the generator started (-server-cmd), so that it can
// restart it (-storm) and read its memory and CPU use from /proc.
type serverProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  io.Closer
}

// splitCmd splits a command line on spaces; single or double quotes keep spaces in one
// argument.
func splitCmd(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	var quote rune
	have := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, have = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if have || cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
		}
	}
	if quote != 0 {
		return nil, errors.New("unbalanced quote in -server-cmd")
	}
	if have || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

func startServer(ctx context.Context, args []string, logPath string) (*serverProc, error) {
	if len(args) == 0 {
		return nil, errors.New("empty -server-cmd")
	}
	cmd := exec.Command(args[0], args[1:]...)
	p := &serverProc{cmd: cmd, done: make(chan struct{})}
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr, p.log = f, f, f
	}
	if err := cmd.Start(); err != nil {
		if p.log != nil {
			p.log.Close()
		}
		return nil, fmt.Errorf("start server: %w", err)
	}
	go func() {
		p.err = cmd.Wait()
		if p.log != nil {
			p.log.Close()
		}
		close(p.done)
	}()
	return p, nil
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// terminate sends SIGTERM and waits for the process to end (SIGKILL after d).
func (p *serverProc) terminate(d time.Duration) error {
	select {
	case <-p.done:
		return fmt.Errorf("the server had already stopped: %v", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("the server did not stop within %s of SIGTERM; killed", d)
	}
}

// stop ends the server if it still runs.
func (p *serverProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.terminate(30 * time.Second)
}

// waitReady polls /readyz until the server answers 200.
func waitReady(ctx context.Context, hc *http.Client, base string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not ready after %s (last error: %v)", base, d, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}
