package nginx

// argKind says where an argument's text came from.
type argKind uint8

const (
	// kindLit is text from the policy: the printer refuses '$' and
	// control characters in it.
	kindLit argKind = iota
	// kindRaw is text built by this package from code constants (it may
	// name nginx variables) or from validated, escaped policy strings.
	kindRaw
)

// Arg is one directive argument. The printer quotes every argument.
type Arg struct {
	kind argKind
	text string
}

// Lit returns an argument carrying a policy string.
func Lit(s string) Arg { return Arg{kind: kindLit, text: s} }

// Raw returns an argument built by code; it may hold nginx variables.
// Never pass an unvalidated policy string.
func Raw(s string) Arg { return Arg{kind: kindRaw, text: s} }

// Text returns the argument's value as nginx will read it.
func (a Arg) Text() string { return a.text }

// Directive is one nginx directive: a simple directive when Block is nil,
// a block directive otherwise (an empty block is a non-nil empty slice).
// A directive with an empty Name prints its arguments only; map and
// types entries use it.
type Directive struct {
	Name    string
	Args    []Arg
	Block   []Directive
	Comment string
}

// D returns a simple directive.
func D(name string, args ...Arg) Directive { return Directive{Name: name, Args: args} }

// B returns a block directive.
func B(name string, args []Arg, body ...Directive) Directive {
	if body == nil {
		body = []Directive{}
	}
	return Directive{Name: name, Args: args, Block: body}
}

// Args is shorthand for a list of arguments.
func Args(a ...Arg) []Arg { return a }

// Raws returns each string as a Raw argument.
func Raws(ss ...string) []Arg {
	out := make([]Arg, len(ss))
	for i, s := range ss {
		out[i] = Raw(s)
	}
	return out
}

// WithComment returns d with a comment printed on the line above it.
func (d Directive) WithComment(c string) Directive {
	d.Comment = c
	return d
}

// Equal reports whether two directive lists are the same, comparing
// argument text (the parser cannot know an argument's kind).
func Equal(a, b []Directive) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

func (d Directive) equal(o Directive) bool {
	if d.Name != o.Name || d.Comment != o.Comment || len(d.Args) != len(o.Args) || (d.Block == nil) != (o.Block == nil) {
		return false
	}
	for i := range d.Args {
		if d.Args[i].text != o.Args[i].text {
			return false
		}
	}
	return Equal(d.Block, o.Block)
}
