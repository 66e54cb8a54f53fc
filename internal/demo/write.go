package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/wuguard/wuguard/evtx"
)

// Write writes the demo logs with wuguard's EVTX writer: for each host a
// folder dir/<computer> holding System.evtx, Setup.evtx and
// Microsoft-Windows-WindowsUpdateClient%4Operational.evtx, the names Windows
// gives them. It returns the files written.
func Write(dir string) ([]string, error) {
	var written []string
	for _, h := range Hosts() {
		hostDir := filepath.Join(dir, h.Computer)
		if err := os.MkdirAll(hostDir, 0o755); err != nil {
			return written, fmt.Errorf("failed to create demo folder: %w", err)
		}
		files := h.Files()
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			path := filepath.Join(hostDir, name)
			if err := writeFile(path, files[name]); err != nil {
				return written, err
			}
			written = append(written, path)
		}
	}
	return written, nil
}

func writeFile(path string, events []evtx.Event) error {
	w, err := evtx.Create(path)
	if err != nil {
		return fmt.Errorf("failed to create demo log: %w", err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			w.Close()
			return fmt.Errorf("failed to write demo log %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("failed to write demo log %s: %w", path, err)
	}
	return nil
}
