package reactor

import "github.com/gotwistd/gotwistd/service"

// Binds returns the endpoint's canonical string, known before binding, so
// that the runner can refuse two services of one application file on the
// same port before either binds (service.Binder).
func (s *Service) Binds() []string { return []string{s.ep.String()} }

var _ service.Binder = (*Service)(nil)
