package emulator

import (
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// shardCount is the number of independently locked maps in a cache.
const shardCount = 64

// item is one stored scalar. Items are values in the shard maps, not
// pointers, to keep a small counter small.
type item struct {
	value   string
	expires int64 // emulator clock, Unix nanoseconds
}

func (it item) live(now int64) bool { return now < it.expires }

// shard is one locked part of a cache.
type shard struct {
	mu    sync.RWMutex
	items map[string]item
	_     [32]byte // keep neighbouring locks off one cache line
}

// cache is one named cache: a fixed set of shards chosen by key hash.
type cache struct {
	name   string
	seed   maphash.Seed
	shards [shardCount]shard
}

func newCache(name string) *cache {
	c := &cache{name: name, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].items = make(map[string]item)
	}
	return c
}

func (c *cache) shardFor(key []byte) *shard {
	return &c.shards[maphash.Bytes(c.seed, key)%shardCount]
}

// get returns the live item stored under key.
func (c *cache) get(key []byte, now int64) (item, bool) {
	s := c.shardFor(key)
	s.mu.RLock()
	it, ok := s.items[string(key)]
	s.mu.RUnlock()
	if !ok || !it.live(now) {
		return item{}, false
	}
	return it, true
}

// set stores value under key until expires.
func (c *cache) set(key, value []byte, expires int64) {
	v := string(value)
	s := c.shardFor(key)
	s.mu.Lock()
	s.items[string(key)] = item{value: v, expires: expires}
	s.mu.Unlock()
}

// setIf stores value under key when cond, given the current live item, says
// so; it reports whether it stored.
func (c *cache) setIf(key, value []byte, expires, now int64, cond func(item, bool) bool) bool {
	s := c.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()

	it, ok := s.items[string(key)]
	ok = ok && it.live(now)
	if !cond(it, ok) {
		return false
	}

	s.items[string(key)] = item{value: string(value), expires: expires}
	return true
}

// remove deletes key.
func (c *cache) remove(key []byte) {
	s := c.shardFor(key)
	s.mu.Lock()
	delete(s.items, string(key))
	s.mu.Unlock()
}

// incrementError says why an increment did not apply.
type incrementError int

const (
	incrementOK incrementError = iota
	incrementNotInteger
	incrementOverflow
)

// increment adds amount to the integer stored under key, creating it with
// amount when missing. Every applied increment sets the item's expiry to
// expires. A failed increment leaves the item unchanged.
func (c *cache) increment(key []byte, amount, expires, now int64) (int64, incrementError) {
	s := c.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()

	var next int64
	it, ok := s.items[string(key)]
	if ok && it.live(now) {
		cur, err := strconv.ParseInt(it.value, 10, 64)
		if err != nil {
			// Includes integers beyond int64: they cannot be read as one.
			return 0, incrementNotInteger
		}
		if (amount > 0 && cur > math.MaxInt64-amount) ||
			(amount < 0 && cur < math.MinInt64-amount) {
			return 0, incrementOverflow
		}
		next = cur + amount
	} else {
		next = amount
	}

	s.items[string(key)] = item{value: strconv.FormatInt(next, 10), expires: expires}
	return next, incrementOK
}

// updateExpiry changes the expiry of a live item when change agrees; it
// reports whether the item exists and whether its expiry changed.
func (c *cache) updateExpiry(key []byte, now int64,
	change func(old int64) (int64, bool)) (found, applied bool) {
	s := c.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()

	it, ok := s.items[string(key)]
	if !ok || !it.live(now) {
		return false, false
	}

	exp, apply := change(it.expires)
	if !apply {
		return true, false
	}
	it.expires = exp
	s.items[string(key)] = it
	return true, true
}

// flush deletes every item.
func (c *cache) flush() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.items)
		s.mu.Unlock()
	}
}

// keys returns the live keys, sorted.
func (c *cache) keys(now int64) []string {
	var out []string
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		for k, it := range s.items {
			if it.live(now) {
				out = append(out, k)
			}
		}
		s.mu.RUnlock()
	}
	sort.Strings(out)
	return out
}

// sweep deletes the expired items of shards [from, to).
func (c *cache) sweep(from, to int, now int64) {
	for i := from; i < to; i++ {
		s := &c.shards[i]
		s.mu.Lock()
		for k, it := range s.items {
			if !it.live(now) {
				delete(s.items, k)
			}
		}
		s.mu.Unlock()
	}
}

// store holds the caches. The map is copied on every change and read
// without a lock: caches are created and deleted rarely, read on every call.
type store struct {
	mu     sync.Mutex // serialises writers of caches
	caches atomic.Pointer[map[string]*cache]
}

func newStore() *store {
	st := &store{}
	m := map[string]*cache{}
	st.caches.Store(&m)
	return st
}

func (st *store) cache(name string) *cache {
	return (*st.caches.Load())[name]
}

// create adds a cache; it reports false when the cache exists.
func (st *store) create(name string) bool {
	_, created := st.ensure(name)
	return created
}

// ensure returns the named cache, creating it when missing.
func (st *store) ensure(name string) (c *cache, created bool) {
	st.mu.Lock()
	defer st.mu.Unlock()

	old := *st.caches.Load()
	if c, ok := old[name]; ok {
		return c, false
	}
	next := make(map[string]*cache, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	c = newCache(name)
	next[name] = c
	st.caches.Store(&next)
	return c, true
}

// drop deletes a cache; it reports false when the cache did not exist.
func (st *store) drop(name string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()

	old := *st.caches.Load()
	if _, ok := old[name]; !ok {
		return false
	}
	next := make(map[string]*cache, len(old))
	for k, v := range old {
		if k != name {
			next[k] = v
		}
	}
	st.caches.Store(&next)
	return true
}

// names returns the cache names, sorted.
func (st *store) names() []string {
	m := *st.caches.Load()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// clock is the emulator's clock: real time moved forward by FastForward.
type clock struct {
	offset atomic.Int64
}

func (c *clock) now() int64 { return time.Now().UnixNano() + c.offset.Load() }

func (c *clock) forward(d time.Duration) { c.offset.Add(int64(d)) }

// expiresAt returns the expiry of an item written at now with a TTL in
// milliseconds, saturating instead of overflowing.
func expiresAt(now int64, ttlMillis uint64) int64 {
	const maxMillis = uint64(math.MaxInt64 / int64(time.Millisecond))
	if ttlMillis >= maxMillis || now > math.MaxInt64-int64(ttlMillis)*int64(time.Millisecond) {
		return math.MaxInt64
	}
	return now + int64(ttlMillis)*int64(time.Millisecond)
}
