package nodb

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxValueSize bounds a value file read at load; larger files are skipped.
const maxValueSize = 64 << 20

// load reads the table in dir, repairing crash leftovers on the way.
func (s *Store) load(dir string) (*Node, error) {
	n := NewNode()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("nodb: load %s: %w", dir, err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	repaired := false
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, ".tmp-") && e.IsDir(), strings.HasPrefix(name, ".del-"):
			s.log.Info("nodb: removing leftover of an interrupted write", "path", p)
			os.RemoveAll(p)
			repaired = true
		case strings.HasPrefix(name, ".old-"):
			key := strings.TrimPrefix(name, ".old-")
			if i := strings.LastIndexByte(key, '-'); i >= 0 {
				key = key[:i]
			}
			if !names[key] {
				s.log.Info("nodb: restoring a value replaced by an interrupted write", "path", p)
				if err := os.Rename(p, filepath.Join(dir, key)); err == nil {
					names[key] = true
					repaired = true
					continue
				}
			}
			os.RemoveAll(p)
			repaired = true
		}
	}
	if repaired {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
		if entries, err = os.ReadDir(dir); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		key, ok := UnescapeKey(e.Name())
		if !ok {
			continue
		}
		keyDir := filepath.Join(dir, e.Name())
		value, isValue, err := s.loadValue(keyDir)
		if err != nil {
			return nil, err
		}
		if isValue {
			n.Values[key] = value
			continue
		}
		child, err := s.load(keyDir)
		if err != nil {
			return nil, err
		}
		n.Children[key] = child
	}
	return n, nil
}

// loadValue reads the value file of a key directory, if it has one.
func (s *Store) loadValue(keyDir string) (string, bool, error) {
	entries, err := os.ReadDir(keyDir)
	if err != nil {
		return "", false, fmt.Errorf("nodb: load %s: %w", keyDir, err)
	}
	var valid []string
	values := map[string]string{}
	var temps []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		switch {
		case isMD5Name(name):
			content, ok := readChecked(filepath.Join(keyDir, name), name)
			if !ok {
				s.log.Warn("nodb: removing a value file whose content does not match its name", "path", filepath.Join(keyDir, name))
				os.Remove(filepath.Join(keyDir, name))
				continue
			}
			valid = append(valid, name)
			values[name] = content
		case strings.HasPrefix(name, ".tmp-"):
			temps = append(temps, name)
		}
	}
	sort.Strings(valid)
	if len(valid) == 0 {
		// A crash between removing the old value and renaming the new one
		// leaves a complete temporary file: promote it.
		for _, t := range temps {
			sum := strings.TrimPrefix(t, ".tmp-")
			if content, ok := readChecked(filepath.Join(keyDir, t), sum); ok && isMD5Name(sum) {
				if err := os.Rename(filepath.Join(keyDir, t), filepath.Join(keyDir, sum)); err == nil {
					valid, values[sum] = []string{sum}, content
					break
				}
			}
		}
	}
	for _, t := range temps {
		os.Remove(filepath.Join(keyDir, t))
	}
	if len(valid) > 1 {
		// Not produced by this package; keep one deterministically.
		s.log.Warn("nodb: several values for one key, keeping one", "path", keyDir)
		for _, extra := range valid[1:] {
			os.Remove(filepath.Join(keyDir, extra))
		}
	}
	if len(temps) > 0 || len(valid) > 1 {
		if err := syncDir(keyDir); err != nil {
			return "", false, err
		}
	}
	if len(valid) == 0 {
		return "", false, nil
	}
	return values[valid[0]], true, nil
}

func readChecked(path, sum string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil || st.Size() > maxValueSize {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
		return "", false
	}
	h := md5.Sum(b)
	return string(b), hex.EncodeToString(h[:]) == sum
}
