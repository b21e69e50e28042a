package reactor

import (
	"fmt"
	"log/slog"
	"reflect"
	"sync"
)

// factoryUse counts the ports and connectors using each factory, so that
// StartFactory and StopFactory run once however many share it (Twisted
// keeps this count, numPorts, on the factory itself; a Go interface cannot
// carry it without forcing a base struct on every factory). Factories that
// are not comparable (a FactoryFunc) are not counted: each user starts and
// stops them.
var factoryUse = struct {
	sync.Mutex
	n map[any]int
}{n: map[any]int{}}

// startFactory calls f.StartFactory for its first user. The call is made
// with the count's lock held, so a second user cannot build a protocol
// before the first StartFactory returned.
func startFactory(f Factory, log *slog.Logger) {
	s, ok := f.(FactoryStarter)
	if !countable(f) {
		if ok {
			s.StartFactory()
		}
		return
	}
	factoryUse.Lock()
	defer factoryUse.Unlock()
	factoryUse.n[f]++
	if factoryUse.n[f] == 1 && ok {
		log.Debug(fmt.Sprintf("starting factory %T", f))
		s.StartFactory()
	}
}

// stopFactory calls f.StopFactory for its last user.
func stopFactory(f Factory, log *slog.Logger) {
	s, ok := f.(FactoryStopper)
	if !countable(f) {
		if ok {
			s.StopFactory()
		}
		return
	}
	factoryUse.Lock()
	defer factoryUse.Unlock()
	factoryUse.n[f]--
	if factoryUse.n[f] > 0 {
		return
	}
	delete(factoryUse.n, f)
	if ok {
		log.Debug(fmt.Sprintf("stopping factory %T", f))
		s.StopFactory()
	}
}

func countable(f Factory) bool {
	t := reflect.TypeOf(f)
	return t != nil && t.Comparable()
}
