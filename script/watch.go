package script

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher follows the whole www tree with fsnotify (one watch per
// directory; new directories are added as they appear). Changes are
// debounced, main.lua files are read and compiled on the watcher's
// goroutine, and the results are posted to the owner goroutine, which swaps
// them in. The watcher never touches the Lua state.
type watcher struct {
	h        *Host
	fw       *fsnotify.Watcher
	root     string
	debounce time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
}

// change is the state of one directory after a burst of events.
type change struct {
	dir  string
	gone bool // directory no longer exists
	main compiled
}

func newWatcher(h *Host) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{h: h, fw: fw, root: h.wwwDir, debounce: h.opts.Debounce, stop: make(chan struct{})}
	if err := w.addTree(w.root, nil); err != nil {
		fw.Close()
		return nil, err
	}
	w.wg.Add(1)
	go w.run()
	return w, nil
}

// addTree watches dir and every directory below it; found directories are
// added to pending (they may already hold a main.lua).
func (w *watcher) addTree(dir string, pending map[string]bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if p != w.root && !validSegment(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.fw.Add(p); err != nil {
			w.h.log.Warn("script: cannot watch directory", "dir", p, "err", err)
			return nil
		}
		if pending != nil {
			pending[p] = true
		}
		return nil
	})
}

func (w *watcher) close() {
	close(w.stop)
	w.fw.Close()
	w.wg.Wait()
}

func (w *watcher) run() {
	defer w.wg.Done()
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-w.stop:
			timer.Stop()
			return
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			w.h.log.Warn("script: file watcher error", "err", err)
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			if w.note(ev, pending) {
				timer.Reset(w.debounce)
			}
		case <-timer.C:
			if len(pending) == 0 {
				continue
			}
			changes := make([]change, 0, len(pending))
			for dir := range pending {
				changes = append(changes, w.inspect(dir))
			}
			clear(pending)
			w.h.post(func() { w.h.applyChanges(changes) })
		}
	}
}

// note records which directory an event concerns; it reports whether
// anything relevant happened.
func (w *watcher) note(ev fsnotify.Event, pending map[string]bool) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	name := filepath.Clean(ev.Name)
	base := filepath.Base(name)
	if strings.HasPrefix(base, ".") && base != "." {
		return false // editor temp files and hidden folders
	}
	if ev.Op.Has(fsnotify.Create) {
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			_ = w.addTree(name, pending)
			return true
		}
	}
	if base == "main.lua" {
		pending[filepath.Dir(name)] = true
		return true
	}
	if ev.Op.Has(fsnotify.Remove) || ev.Op.Has(fsnotify.Rename) {
		// Could be a directory (an app folder); files other than main.lua
		// vanishing do not matter.
		pending[name] = true
		return true
	}
	return false
}

func (w *watcher) inspect(dir string) change {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.h.log.Warn("script: cannot inspect directory", "dir", dir, "err", err)
		}
		return change{dir: dir, gone: true}
	}
	return change{dir: dir, main: compileMain(dir, w.h.chunkName(filepath.Join(dir, "main.lua")))}
}

// applyChanges runs on the owner goroutine. Parents are handled before
// children so that a new folder tree is seen top-down.
func (h *Host) applyChanges(changes []change) {
	sortChanges(changes)
	for _, c := range changes {
		path, ok := h.dirAppPath(c.dir)
		if !ok {
			continue
		}
		if parentPath, name, ok := splitParent(path); ok {
			if p := h.apps[parentPath]; p != nil {
				if c.gone {
					delete(p.subdirs, name)
				} else {
					p.subdirs[name] = true
				}
			}
		}
		a := h.apps[path]
		if a == nil {
			continue // not loaded yet: it will be read on first use
		}
		if c.gone {
			h.deleteApp(a)
			continue
		}
		h.apply(a, c.main)
	}
}

func sortChanges(cs []change) {
	// Shorter paths (ancestors) first; stable enough for our purpose.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && len(cs[j].dir) < len(cs[j-1].dir); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// dirAppPath maps an absolute directory under www to an application path.
func (h *Host) dirAppPath(dir string) (string, bool) {
	rel, err := filepath.Rel(h.wwwDir, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	if rel == "." {
		return "", true
	}
	return AppPath("/" + filepath.ToSlash(rel))
}

func splitParent(path string) (parent, name string, ok bool) {
	if path == "" {
		return "", "", false
	}
	i := strings.LastIndexByte(path, '/')
	return path[:i], path[i+1:], true
}
