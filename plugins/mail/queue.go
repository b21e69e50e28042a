package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/service"
)

// queue is the relay queue of -R DIR: mail for other domains waits there,
// on disk, until it is delivered to the domain's MX or bounced.
//
// Each message is two files in DIR/msg: ID.eml (the message) and ID.env
// (its envelope as JSON: sender, recipients still to do, attempts). Both
// are written to DIR/tmp, fdatasync'd and renamed into msg/, .eml first,
// and msg/ is fsync'd before enqueue returns, so the SMTP client's 250
// means the message survives a crash. The .env file is the commit point:
// at start-up an .eml without its .env (a crash before the 250) is
// removed, and every .env is loaded and tried at once.
type queue struct {
	m       *mailer
	dir     string
	msgDir  string
	tmpDir  string
	msgSync *dirSyncer

	mu       sync.Mutex
	items    map[string]*queued
	wake     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	running  bool

	// events, when set (by tests), receives the ID of every message that
	// left the queue, delivered or bounced.
	events chan<- string
}

// envelope is the .env file.
type envelope struct {
	From      string    `json:"from"`
	Rcpts     []string  `json:"rcpts"`
	Created   time.Time `json:"created"`
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next"`
	LastError string    `json:"lastError,omitempty"`
}

// queued is a message in memory: its envelope and whether a delivery
// attempt is running.
type queued struct {
	id       string
	env      envelope
	inFlight bool
}

// maxRetry caps the doubling retry interval; maxParallel bounds delivery
// attempts running at once.
const (
	maxRetry    = time.Hour
	maxParallel = 8
)

func newQueue(m *mailer) *queue {
	d := m.c.queueDir
	return &queue{
		m: m, dir: d,
		msgDir: filepath.Join(d, "msg"), tmpDir: filepath.Join(d, "tmp"),
		msgSync: newDirSyncer(filepath.Join(d, "msg")),
		items:   map[string]*queued{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}
}

func (q *queue) Name() string                          { return "queue" }
func (q *queue) PrivilegedStart(context.Context) error { return nil }

// Start creates the queue's directories, loads what a previous run left,
// and starts delivering.
func (q *queue) Start(context.Context) error {
	for _, d := range []string{q.msgDir, q.tmpDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("relay queue: %w", err)
		}
	}
	if err := q.load(); err != nil {
		return fmt.Errorf("relay queue: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.mu.Lock()
	q.cancel, q.running = cancel, true
	n := len(q.items)
	q.mu.Unlock()
	if n > 0 {
		q.m.log.Info(fmt.Sprintf("relay queue %s: %d messages waiting", q.dir, n))
	}
	q.wg.Add(1)
	go q.run(ctx)
	return nil
}

// Stop ends the delivery loop and cancels the attempts in flight; their
// messages stay queued for the next start.
func (q *queue) Stop(ctx context.Context) error {
	q.stopOnce.Do(func() { close(q.stop) })
	q.mu.Lock()
	if q.cancel != nil {
		q.cancel()
	}
	q.mu.Unlock()
	if err := service.Wait(ctx, &q.wg); err != nil {
		return err
	}
	q.msgSync.close()
	return nil
}

// load reads msg/ and cleans tmp/.
func (q *queue) load() error {
	if ents, err := os.ReadDir(q.tmpDir); err == nil {
		for _, e := range ents {
			os.Remove(filepath.Join(q.tmpDir, e.Name()))
		}
	}
	ents, err := os.ReadDir(q.msgDir)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	now := time.Now()
	for name := range have {
		id, ok := strings.CutSuffix(name, ".env")
		if !ok {
			if id, ok := strings.CutSuffix(name, ".eml"); ok && !have[id+".env"] {
				os.Remove(filepath.Join(q.msgDir, name)) // never acknowledged
			}
			continue
		}
		if !have[id+".eml"] {
			q.m.log.Error(fmt.Sprintf("relay queue: %s has an envelope but no message; dropped", id))
			os.Remove(filepath.Join(q.msgDir, name))
			continue
		}
		data, err := os.ReadFile(filepath.Join(q.msgDir, name))
		var env envelope
		if err == nil {
			err = json.Unmarshal(data, &env)
		}
		if err != nil || len(env.Rcpts) == 0 {
			q.m.log.Error(fmt.Sprintf("relay queue: %s: unreadable envelope (%v); left in place", id, err))
			continue
		}
		env.Next = now // a restart tries everything at once
		q.items[id] = &queued{id: id, env: env}
	}
	return nil
}

// enqueue stores a message for rcpts (all remote) durably and schedules
// it; it returns only once both files and their names are on disk.
func (q *queue) enqueue(from string, rcpts []string, msg []byte) error {
	id := messageID() + "." + strconv.Itoa(pid)
	now := time.Now()
	env := envelope{From: from, Rcpts: rcpts, Created: now, Next: now}
	if err := q.writeFile(id+".eml", msg); err != nil {
		return err
	}
	if err := q.writeEnvelope(id, env); err != nil {
		os.Remove(filepath.Join(q.msgDir, id+".eml"))
		return err
	}
	if err := q.msgSync.sync(); err != nil {
		return err
	}
	q.mu.Lock()
	q.items[id] = &queued{id: id, env: env}
	q.mu.Unlock()
	q.poke()
	return nil
}

// writeFile writes name into tmp/ durably and renames it into msg/; the
// caller fsyncs msg/.
func (q *queue) writeFile(name string, data []byte) error {
	tmp := filepath.Join(q.tmpDir, name)
	if err := writeDurably(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(q.msgDir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func (q *queue) writeEnvelope(id string, env envelope) error {
	data, err := json.Marshal(env)
	if err != nil {
		return err
	}
	os.Remove(filepath.Join(q.tmpDir, id+".env")) // a leftover of a failed update
	return q.writeFile(id+".env", data)
}

// remove drops a finished message: the envelope first, so a crash in
// between leaves an orphan .eml, which start-up removes.
func (q *queue) remove(id string) {
	os.Remove(filepath.Join(q.msgDir, id+".env"))
	os.Remove(filepath.Join(q.msgDir, id+".eml"))
	if err := q.msgSync.sync(); err != nil {
		q.m.log.Warn(fmt.Sprintf("relay queue: %v", err))
	}
	q.mu.Lock()
	delete(q.items, id)
	q.mu.Unlock()
	if q.events != nil {
		q.events <- id
	}
}

func (q *queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run starts the attempts that are due and sleeps until the next one is.
func (q *queue) run(ctx context.Context) {
	defer q.wg.Done()
	sem := make(chan struct{}, maxParallel)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		case <-timer.C:
		}
		next := q.startDue(ctx, sem)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// startDue launches every due attempt that a slot allows and returns how
// long until the next one is due.
func (q *queue) startDue(ctx context.Context, sem chan struct{}) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	wait := maxRetry
	for _, it := range q.items {
		if it.inFlight {
			continue
		}
		if d := it.env.Next.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			return wait // all slots busy; a finishing attempt pokes us
		}
		it.inFlight = true
		q.wg.Add(1)
		go func(it *queued, env envelope) {
			defer q.wg.Done()
			defer func() { <-sem; q.poke() }()
			q.attempt(ctx, it.id, env)
		}(it, it.env)
	}
	return wait
}

// attempt tries to deliver one message to every recipient left, then
// removes it, bounces what failed for good, or schedules a retry.
func (q *queue) attempt(ctx context.Context, id string, env envelope) {
	msg, err := os.ReadFile(filepath.Join(q.msgDir, id+".eml"))
	if err != nil {
		q.m.log.Error(fmt.Sprintf("relay queue: %s: %v; dropped", id, err))
		q.remove(id)
		return
	}
	results := q.m.relayTo(ctx, env.From, env.Rcpts, msg)
	if ctx.Err() != nil {
		q.setIdle(id)
		return // stopping: try again after the next start
	}
	var left, failed []rcptResult
	for _, r := range results {
		switch {
		case r.err == nil:
			q.m.log.Info(fmt.Sprintf("relay queue: %s to <%s>: delivered via %s", id, r.rcpt, r.via))
		case r.permanent:
			failed = append(failed, r)
		default:
			left = append(left, r)
		}
	}
	env.Attempts++
	if len(left) > 0 && time.Since(env.Created) >= q.m.c.queueLifetime {
		for _, r := range left {
			r.expired = true
			failed = append(failed, r)
		}
		left = nil
	}
	if len(failed) > 0 {
		q.m.bounce(id, env, failed, msg)
	}
	if len(left) == 0 {
		q.remove(id)
		return
	}
	env.Rcpts = env.Rcpts[:0]
	for _, r := range left {
		env.Rcpts = append(env.Rcpts, r.rcpt)
	}
	env.LastError = left[0].err.Error()
	env.Next = time.Now().Add(backoff(q.m.c.retry, env.Attempts))
	q.m.log.Warn(fmt.Sprintf("relay queue: %s: %d recipients deferred, attempt %d, next at %s: %s",
		id, len(left), env.Attempts, env.Next.Format(time.RFC3339), env.LastError))
	if err := q.writeEnvelope(id, env); err == nil {
		err = q.msgSync.sync()
	}
	q.mu.Lock()
	if it := q.items[id]; it != nil {
		it.env, it.inFlight = env, false
	}
	q.mu.Unlock()
}

func (q *queue) setIdle(id string) {
	q.mu.Lock()
	if it := q.items[id]; it != nil {
		it.inFlight = false
	}
	q.mu.Unlock()
}

// backoff is the wait after the nth failed attempt: base, doubling each
// time, at most an hour (but never below base).
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxRetry; i++ {
		d *= 2
	}
	return max(min(d, maxRetry), base)
}
