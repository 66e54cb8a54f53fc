package evtx

import "sync"

// Cache shares what chunks learn from the templates they read: compiled
// templates and rendering plans. Chunks read on several goroutines, each
// into its own [Chunk], learn each template once when they share a Cache
// instead of once per goroutine. Each Chunk keeps what it uses in its own
// tables and asks the Cache only for what it has not seen yet, so sharing
// costs little. A Cache is safe for concurrent use and bounded in size.
type Cache struct {
	mu        sync.Mutex
	templates templateCache
	plans     planCache
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{} }

// UseCache makes c learn from and teach cache, and forget what it learnt
// on its own before.
func (c *Chunk) UseCache(cache *Cache) {
	c.shared = cache
	c.compiled = templateCache{}
	c.dec.plans = planCache{}
}

func (s *Cache) template(def []byte) *cachedTemplate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.templates.m[string(def)]
}

func (s *Cache) addTemplate(def []byte, ct *cachedTemplate, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates.m[string(def)] == nil {
		s.templates.put(def, ct, size)
	}
}

// templateID returns the identifier of a template content, assigning the
// next one to a new content, or 0 once they have run out.
func (s *Cache) templateID(content []byte) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plans.id(content)
}

func (s *Cache) plan(key []byte) *plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plans.plans[string(key)]
}

func (s *Cache) addPlan(key []byte, p *plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans.put(key, p)
}
