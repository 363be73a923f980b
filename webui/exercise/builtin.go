package exercise

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// builtins are the exercises that ship with the samples, by scenario name.
//
//go:embed exercises/*.yaml
var builtins embed.FS

// Builtins lists the names of the shipped exercises (e.g. "storm-0558",
// for the sample of the same name).
func Builtins() []string {
	entries, _ := fs.ReadDir(builtins, "exercises")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// Builtin returns the YAML of a shipped exercise.
func Builtin(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, fmt.Errorf("exercise: no built-in exercise %q (have %s)", name, strings.Join(Builtins(), ", "))
	}
	b, err := builtins.ReadFile(path.Join("exercises", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("exercise: no built-in exercise %q (have %s)", name, strings.Join(Builtins(), ", "))
	}
	return b, nil
}
