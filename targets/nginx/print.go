package nginx

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// indent is one level of indentation.
const indent = "    "

// Print renders directives as nginx configuration text. Every argument is
// double-quoted with '"' and '\' escaped. It fails, closed, on a Lit
// argument holding '$', '{', '}' or a control character, on any argument
// that is not UTF-8 or holds a control character, and on a bad name.
func Print(ds []Directive) ([]byte, error) {
	var buf bytes.Buffer
	if err := printList(&buf, ds, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func printList(buf *bytes.Buffer, ds []Directive, depth int) error {
	for i, d := range ds {
		if i > 0 && d.Block != nil {
			buf.WriteByte('\n')
		}
		if err := printOne(buf, d, depth); err != nil {
			return err
		}
	}
	return nil
}

func printOne(buf *bytes.Buffer, d Directive, depth int) error {
	pad := strings.Repeat(indent, depth)
	if d.Comment != "" {
		if err := checkText(d.Comment); err != nil {
			return fmt.Errorf("comment %q: %w", d.Comment, err)
		}
		fmt.Fprintf(buf, "%s# %s\n", pad, d.Comment)
	}
	if d.Name != "" && !validName(d.Name) {
		return fmt.Errorf("invalid directive name %q", d.Name)
	}
	if d.Name == "" && len(d.Args) == 0 {
		return fmt.Errorf("directive without name or arguments")
	}
	parts := []string{}
	if d.Name != "" {
		parts = append(parts, d.Name)
	}
	for _, a := range d.Args {
		q, err := quote(a)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name, err)
		}
		parts = append(parts, q)
	}
	buf.WriteString(pad + strings.Join(parts, " "))
	if d.Block == nil {
		buf.WriteString(";\n")
		return nil
	}
	buf.WriteString(" {\n")
	if err := printList(buf, d.Block, depth+1); err != nil {
		return err
	}
	buf.WriteString(pad + "}\n")
	return nil
}

// quote checks an argument and returns it double-quoted.
func quote(a Arg) (string, error) {
	if err := checkText(a.text); err != nil {
		return "", fmt.Errorf("argument %q: %w", a.text, err)
	}
	if a.kind == kindLit && strings.ContainsAny(a.text, "${}") {
		return "", fmt.Errorf("policy string %q holds '$', '{' or '}', which nginx would read as a variable", a.text)
	}
	return `"` + escaper.Replace(a.text) + `"`, nil
}

// escaper escapes the two characters special inside a quoted argument.
var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// checkText refuses text that is not UTF-8 or holds control characters.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("holds control character %U", r)
		}
	}
	return nil
}

// validName reports whether s is a directive name: [a-z_][a-z0-9_]*.
func validName(s string) bool {
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return s != ""
}
