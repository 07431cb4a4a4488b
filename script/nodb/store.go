package nodb

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrClosed is returned by a closed Store.
var ErrClosed = errors.New("nodb: store closed")

// Node is a table in memory: values (raw text) and sub-tables by key.
type Node struct {
	Values   map[string]string
	Children map[string]*Node
}

// NewNode returns an empty table.
func NewNode() *Node { return &Node{Values: map[string]string{}, Children: map[string]*Node{}} }

type opKind int

const (
	opSet opKind = iota
	opTable
	opDelete
)

type op struct {
	kind  opKind
	path  []string // table holding the key
	key   string
	value string // opSet
	tree  *Node  // opTable
}

// Store persists tables under a directory. Its methods are safe from any
// goroutine; operations are applied in the order they were queued.
type Store struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*op
	latest  map[string]*op // queued opSet by key path, while no other op follows it
	queued  uint64         // operations queued so far
	applied uint64         // operations applied so far
	closed  bool
	err     error // first failure since the last Sync

	seq  uint64
	done chan struct{}
}

// Open loads (and repairs) the tables under dir, creating it if needed,
// and starts the writer.
func Open(dir string, log *slog.Logger) (*Store, *Node, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("nodb: open: %w", err)
	}
	s := &Store{dir: dir, log: log, latest: map[string]*op{}, done: make(chan struct{}),
		seq: uint64(time.Now().UnixNano())}
	s.cond = sync.NewCond(&s.mu)
	root, err := s.load(dir)
	if err != nil {
		return nil, nil, err
	}
	go s.run()
	return s, root, nil
}

// Set queues key = value in the table at path (creating missing tables).
func (s *Store) Set(path []string, key, value string) {
	s.push(&op{kind: opSet, path: path, key: key, value: value})
}

// SetTable queues key = tree (a new table replacing whatever key held).
func (s *Store) SetTable(path []string, key string, tree *Node) {
	s.push(&op{kind: opTable, path: path, key: key, tree: tree})
}

// Delete queues the removal of key (value or table).
func (s *Store) Delete(path []string, key string) {
	s.push(&op{kind: opDelete, path: path, key: key})
}

func opKey(path []string, key string) string {
	return strings.Join(append(append([]string(nil), path...), key), "\x00")
}

func (s *Store) push(o *op) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if o.kind == opSet {
		// A value not yet written is simply replaced: the queue holds at
		// most one pending write per key between structural operations.
		if prev := s.latest[opKey(o.path, o.key)]; prev != nil {
			prev.value = o.value
			return
		}
		s.latest[opKey(o.path, o.key)] = o
	} else {
		clear(s.latest)
	}
	s.queue = append(s.queue, o)
	s.queued++
	s.cond.Broadcast()
}

// Sync waits until every operation queued before the call is on disk and
// returns the first error met since the previous Sync.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.queued
	for s.applied < target && !s.closed {
		s.cond.Wait()
	}
	err := s.err
	s.err = nil
	if s.applied < target {
		return ErrClosed
	}
	return err
}

// Close writes what is queued and stops the writer.
func (s *Store) Close() error {
	err := s.Sync()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	<-s.done
	return err
}

func (s *Store) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 && s.closed {
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		clear(s.latest)
		s.mu.Unlock()

		for _, o := range batch {
			err := s.apply(o)
			s.mu.Lock()
			if err != nil {
				s.log.Error("nodb: write failed", "key", strings.Join(append(append([]string(nil), o.path...), o.key), "."), "err", err)
				if s.err == nil {
					s.err = err
				}
			}
			s.applied++
			s.cond.Broadcast()
			s.mu.Unlock()
		}
	}
}

func (s *Store) tableDir(path []string) string {
	parts := make([]string, 0, len(path)+1)
	parts = append(parts, s.dir)
	for _, p := range path {
		parts = append(parts, EscapeKey(p))
	}
	return filepath.Join(parts...)
}

func (s *Store) uniq() string {
	s.seq++
	return strconv.FormatUint(s.seq, 36)
}

func (s *Store) apply(o *op) error {
	dir := s.tableDir(o.path)
	if err := mkdirDurable(dir); err != nil {
		return err
	}
	name := EscapeKey(o.key)
	if len(name) > 200 {
		return fmt.Errorf("nodb: key too long (%d bytes)", len(o.key))
	}
	keyDir := filepath.Join(dir, name)
	switch o.kind {
	case opDelete:
		return s.remove(dir, keyDir)
	case opTable:
		return s.replace(dir, keyDir, name, o.tree, "")
	}
	st, err := os.Stat(keyDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s.replace(dir, keyDir, name, nil, o.value)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("nodb: %s is not a directory", keyDir)
	}
	entries, err := os.ReadDir(keyDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			// The key held a table: replace it as a whole.
			return s.replace(dir, keyDir, name, nil, o.value)
		}
	}
	return writeValue(keyDir, o.value, entries)
}

// writeValue replaces the value file of an existing key directory.
func writeValue(keyDir, value string, entries []fs.DirEntry) error {
	sum := md5Hex(value)
	tmp := filepath.Join(keyDir, ".tmp-"+sum)
	if err := writeFileSync(tmp, value); err != nil {
		return err
	}
	if err := syncDir(keyDir); err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); isMD5Name(n) && n != sum || strings.HasPrefix(n, ".tmp-") && n != ".tmp-"+sum {
			if err := os.Remove(filepath.Join(keyDir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	if err := os.Rename(tmp, filepath.Join(keyDir, sum)); err != nil {
		return err
	}
	return syncDir(keyDir)
}

// replace makes keyDir hold a fresh table (tree) or value, atomically.
func (s *Store) replace(dir, keyDir, name string, tree *Node, value string) error {
	tmp := filepath.Join(dir, ".tmp-"+s.uniq())
	var err error
	if tree != nil {
		err = writeTree(tmp, tree)
	} else {
		err = writeLeaf(tmp, value)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	var old string
	if _, err := os.Lstat(keyDir); err == nil {
		old = filepath.Join(dir, ".old-"+name+"-"+s.uniq())
		if err := os.Rename(keyDir, old); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, keyDir); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

func (s *Store) remove(dir, keyDir string) error {
	if _, err := os.Lstat(keyDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	tomb := filepath.Join(dir, ".del-"+s.uniq())
	if err := os.Rename(keyDir, tomb); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return os.RemoveAll(tomb)
}

func writeLeaf(dir, value string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, md5Hex(value)), value); err != nil {
		return err
	}
	return syncDir(dir)
}

func writeTree(dir string, n *Node) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for k, v := range n.Values {
		if err := writeLeaf(filepath.Join(dir, EscapeKey(k)), v); err != nil {
			return err
		}
	}
	for k, c := range n.Children {
		if err := writeTree(filepath.Join(dir, EscapeKey(k)), c); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func writeFileSync(name, content string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirDurable creates dir and its missing parents, fsyncing each parent
// that got a new entry.
func mkdirDurable(dir string) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("nodb: %s is not a directory", dir)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirDurable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}
