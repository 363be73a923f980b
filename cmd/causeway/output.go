package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// termSafe makes a string from a log safe to print on a terminal: control
// characters (escape sequences among them), invalid UTF-8 and bidi
// overrides are shown as visible escapes instead of being interpreted.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || isBidi(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strings.ToUpper(hex2(s[i])))
		case unicode.IsControl(r) || isBidi(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r < 0x100 {
		return `\x` + strings.ToUpper(hex2(byte(r)))
	}
	return `\u` + strings.ToUpper(hex4(r))
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func hex4(r rune) string { return hex2(byte(r>>8)) + hex2(byte(r)) }

// csvSafe neutralizes spreadsheet formulas: a cell starting with =, +, -,
// @, a tab or a carriage return is prefixed with a single quote (OWASP CSV
// injection).
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
