package nginx

import "fmt"

// Verify re-parses text and checks that it is exactly the directives
// want: no argument escaped its quotes, no policy string added or split a
// directive.
func Verify(text []byte, want []Directive) error {
	got, err := Parse(text)
	if err != nil {
		return fmt.Errorf("emitted config does not parse: %w", err)
	}
	if !Equal(got, want) {
		return fmt.Errorf("emitted config does not re-parse to the AST it was printed from")
	}
	return nil
}
