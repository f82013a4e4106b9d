package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestPromptEndsOnCtrlC: a prompt waiting for an answer that never comes
// returns as soon as the run is interrupted, and a typed answer is read
// trimmed.
func TestPromptEndsOnCtrlC(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdout: &out}
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	answer, err := e.readAnswer(ctx, bufio.NewReader(r))
	if !errors.Is(err, context.Canceled) || answer != "" {
		t.Fatalf("interrupted prompt: %q, %v; want no answer and context.Canceled", answer, err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("the prompt took %v to give up", waited)
	}
	if out.String() != "\n" {
		t.Errorf("printed %q, want the prompt's line ended", out.String())
	}

	answer, err = e.readAnswer(context.Background(), bufio.NewReader(strings.NewReader("  yes \n")))
	if err != nil || answer != "yes" {
		t.Errorf("typed answer: %q, %v; want \"yes\"", answer, err)
	}
}
