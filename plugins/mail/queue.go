package mail

import (
	"context"
	"errors"
)

// queue is the relay queue of -R (filled in by the relay work).
type queue struct{ m *mailer }

func newQueue(m *mailer) *queue { return &queue{m: m} }

func (q *queue) Name() string                          { return "queue" }
func (q *queue) PrivilegedStart(context.Context) error { return nil }
func (q *queue) Start(context.Context) error           { return nil }
func (q *queue) Stop(context.Context) error            { return nil }

func (q *queue) enqueue(from string, rcpts []string, msg []byte) error {
	return errors.New("relay queue not implemented yet")
}
