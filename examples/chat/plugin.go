// Package chat is `gotwistd chat`, the chat room of Twisted's tutorial on
// the protocol API: a client registers a name, then every line it sends
// goes to everyone else in the room.
//
// It is also the example of state shared by a factory: the room (name to
// member) lives in the factory, every connection reads and changes it from
// its own callbacks, which under both reactors run concurrently for
// different connections, so one mutex guards it. Writing to another
// member's transport under that mutex is fine: Transport methods never
// block and never call back into a protocol.
package chat

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the chat service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "chat",
		Usage: "example: a chat room (register a name, then chat)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "port", Aliases: []string{"p"}, Value: "tcp:8123", Usage: "listen on `ENDPOINT`"},
			&cli.DurationFlag{Name: "idle-timeout", Value: 30 * time.Minute, Usage: "disconnect a member silent for `DURATION` (0 = never)"},
		},
		Reactors: []string{"netpoll", "gnet"},
		Make: func(f runner.Flags, env runner.Env) (service.Service, error) {
			ep, err := endpoint.Parse(f.String("port"))
			if err != nil {
				return nil, err
			}
			return reactor.NewService("chat", env.Reactor, ep, NewRoom(), env.Log(),
				reactor.WithEndpointEnv(env.EndpointEnv()), reactor.WithFail(env.Fail),
				reactor.WithIdleTimeout(f.Duration("idle-timeout")))
		},
	}
}

// Room is the factory: one chat room, its members by name.
type Room struct {
	mu      sync.Mutex
	members map[string]*member
}

// NewRoom returns an empty room.
func NewRoom() *Room { return &Room{members: map[string]*member{}} }

// BuildProtocol implements reactor.Factory.
func (room *Room) BuildProtocol(net.Addr) reactor.Protocol {
	return &reactor.LineReceiver{Handler: &member{room: room}, MaxLength: 1024}
}

// register adds m under name unless the name is taken, and tells the
// others; the check and the insertion happen under one lock, so two
// clients cannot take the same name.
func (room *Room) register(m *member, name string) bool {
	room.mu.Lock()
	defer room.mu.Unlock()
	if _, taken := room.members[name]; taken {
		return false
	}
	others := room.namesLocked()
	m.name = name
	room.members[name] = m
	// Under the lock, so that no other member's line reaches m first.
	m.r.SendLineString("Welcome, " + name + "!")
	room.broadcastLocked(m, name+" has joined the room")
	if len(others) == 0 {
		m.r.SendLineString("You are alone here.")
	} else {
		m.r.SendLineString("Also here: " + strings.Join(others, ", "))
	}
	return true
}

func (room *Room) leave(m *member) {
	room.mu.Lock()
	defer room.mu.Unlock()
	if room.members[m.name] == m {
		delete(room.members, m.name)
		room.broadcastLocked(m, m.name+" has left the room")
	}
}

func (room *Room) say(m *member, text string) {
	room.mu.Lock()
	defer room.mu.Unlock()
	room.broadcastLocked(m, fmt.Sprintf("<%s> %s", m.name, text))
}

// broadcastLocked sends line to every member but from.
func (room *Room) broadcastLocked(from *member, line string) {
	for _, other := range room.members {
		if other != from {
			other.r.SendLineString(line)
		}
	}
}

func (room *Room) namesLocked() []string {
	names := make([]string, 0, len(room.members))
	for n := range room.members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// member is one connection: it first asks for a name, then chats.
type member struct {
	room *Room
	r    *reactor.LineReceiver
	name string // "" until registered; only this connection's callbacks touch it
}

func (m *member) ConnectionMade(r *reactor.LineReceiver) {
	m.r = r
	r.SendLineString("What's your name?")
}

func (m *member) LineReceived(line []byte) {
	text := strings.TrimSpace(string(line))
	if m.name != "" {
		if text != "" {
			m.room.say(m, text)
		}
		return
	}
	switch {
	case text == "" || strings.ContainsAny(text, " <>") || len(text) > 32:
		m.r.SendLineString("Names are 1 to 32 characters without spaces or <>; what's your name?")
	case !m.room.register(m, text):
		m.r.SendLineString("Name taken, please choose another.")
	}
}

func (m *member) ConnectionLost(error) {
	if m.name != "" {
		m.room.leave(m)
	}
}
